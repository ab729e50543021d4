"""The dashboard's HTML: the page template from package data, filled with escaped values.

The page is rendered with the snapshot it starts from (as JSON inside a script element, where
`<` is escaped so that no value can close the element); the page's script draws the panels
from it and follows the journal from that snapshot's seq on.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import quote


@cache
def _template(name: str) -> Template:
    return Template(resources.files("tradeguard.dashboard").joinpath("static", name).read_text())


def script_json(value: Any) -> str:
    """JSON safe inside <script type="application/json">: no `<`, `>` or `&` left raw."""
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _kill(snapshot: dict[str, Any]) -> tuple[str, str, str]:
    kill = snapshot.get("kill_switch") or {}
    engaged = bool(kill.get("latched", kill.get("engaged", kill.get("state") == "engaged")))
    if not engaged:
        return "armed", "armed", "trading allowed"
    return "engaged", "ENGAGED", str(kill.get("reason") or "")


def render(
    snapshot: dict[str, Any],
    *,
    profile: str,
    venue: str,
    env: str,
    static: str,
    profiles: Sequence[str] = (),
) -> str:
    """The page of one profile; `static` the URL prefix of the static files; `profiles` every
    profile this dashboard serves (a chooser when there are several)."""
    state, label, detail = _kill(snapshot)
    chooser = ""
    if len(profiles) > 1:
        links = " ".join(
            f'<a href="/p/{quote(name, safe="")}/"'
            + (' aria-current="page"' if name == profile else "")
            + f">{html.escape(name)}</a>"
            for name in profiles
        )
        chooser = f'<nav class="chip" id="chooser">bots {links}</nav>'
    return _template("index.html").substitute(
        profile=html.escape(profile),
        venue=html.escape(venue),
        env=html.escape(env),
        static=html.escape(static, quote=True),
        kill_state=state,
        kill_label=label,
        kill_detail=html.escape(detail),
        seq=int(snapshot.get("seq", 0)),
        chooser=chooser,
        snapshot=script_json(snapshot),
    )


def chooser(profiles: Sequence[str]) -> str:
    """The root page when one dashboard serves several profiles."""
    items = "\n".join(
        f'<li><a href="/p/{quote(name, safe="")}/">{html.escape(name)}</a></li>'
        for name in profiles
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tradeguard</title>'
        '<link rel="stylesheet" href="/static/dashboard.css"></head><body><main>'
        '<section class="panel"><h2>Bots</h2><p>One page per profile:</p>'
        f'<ul id="profiles">{items}</ul></section></main></body></html>'
    )
