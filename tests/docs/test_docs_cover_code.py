"""The reference pages in docs/ cannot fall behind the code: every key the code accepts (in
tradeguard.toml and sim.toml), every fault kind and each of its fields, and every module of the
package is documented, and nothing is documented that the code does not accept. The lists come
from the code itself (the parser's key tuples, the fault structs, the sim.toml reader's calls,
the files under src/), and the docs' examples are run through the same parsers.

How the pages are read: a section is a heading with a `name` in backticks; its keys are the
names in backticks in the first column of the tables under it (up to the next heading)."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import msgspec
import pytest

from tradeguard import stages
from tradeguard.journal import DURABILITIES
from tradeguard.keys.credentials import CREDENTIAL_SOURCES
from tradeguard.profile import credential_keys, limit_keys
from tradeguard.profile import parse as profile_parse
from tradeguard.profile import profiles as profile_module
from tradeguard.sim import config as sim_config
from tradeguard.sim import faults_kinds, keys
from tradeguard.sim.faults import KINDS, parse_fault

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "src" / "tradeguard"

_HEADING = re.compile(r"^(#+)\s+(.*)$")
_NAME = re.compile(r"`([^`]+)`")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


class Page:
    """One markdown page: its sections by the first backticked name in their heading."""

    def __init__(self, name: str) -> None:
        self.path = DOCS / name
        self.text = self.path.read_text(encoding="utf-8")
        self.sections: dict[str, str] = {}
        current: str | None = None
        lines: list[str] = []
        for line in self.text.splitlines():
            heading = _HEADING.match(line)
            if heading:
                if current is not None:
                    self.sections[current] = "\n".join(lines)
                named = _NAME.search(heading.group(2))
                current = named.group(1) if named else None
                lines = []
            else:
                lines.append(line)
        if current is not None:
            self.sections[current] = "\n".join(lines)

    def section(self, name: str) -> str:
        assert name in self.sections, f"{self.path.name} has no section headed `{name}`"
        return self.sections[name]

    def keys(self, name: str) -> set[str]:
        """The backticked names in the first column of the section's tables."""
        found = set()
        for line in self.section(name).splitlines():
            cells = line.strip().split("|")
            if len(cells) < 3 or set(cells[1].strip()) <= set("-: "):
                continue
            found.update(_NAME.findall(cells[1]))
        found.discard("key")
        return found

    def blocks(self, name: str, language: str) -> list[str]:
        return [body for lang, body in _FENCE.findall(self.section(name)) if lang == language]


def _same(documented: set[str], accepted: set[str], where: str) -> None:
    missing = sorted(accepted - documented)
    extra = sorted(documented - accepted)
    assert not missing, f"{where}: the code accepts {missing}, the docs do not say so"
    assert not extra, f"{where}: the docs list {extra}, which the code does not accept"


# ── tradeguard.toml ─────────────────────────────────────────────────────────────────────────


PROFILE_SECTIONS = {
    "[profiles.NAME]": profile_parse._PROFILE_KEYS,
    "[profiles.NAME.credentials]": credential_keys.CREDENTIAL_KEYS,
    "[profiles.NAME.limits]": limit_keys.LIMIT_KEYS,
    "[profiles.NAME.alerts]": limit_keys.ALERT_KEYS,
    "[profiles.NAME.stages.RUNG]": limit_keys.CAPS_KEYS,
}


@pytest.mark.parametrize("section", list(PROFILE_SECTIONS))
def test_every_profile_key_is_documented(section: str) -> None:
    page = Page("profiles.md")
    _same(page.keys(section), set(PROFILE_SECTIONS[section]), f"profiles.md {section}")


def test_every_choice_a_profile_key_takes_is_documented() -> None:
    page = Page("profiles.md")
    profile = page.section("[profiles.NAME]")
    for values in (stages.RUNGS, profile_module.MODES, profile_module.VENUES, DURABILITIES):
        for value in values:
            assert f'"{value}"' in profile, f"profiles.md: {value!r} is not shown"
    credentials = page.section("[profiles.NAME.credentials]")
    for source in CREDENTIAL_SOURCES:
        assert f'"{source}"' in credentials, f"profiles.md: credentials source {source!r}"
    caps = page.section("[profiles.NAME.stages.RUNG]")
    for rung in stages.RUNGS:
        assert f"`{rung}`" in caps or f'"{rung}"' in caps, f"profiles.md: stages of {rung!r}"


def test_the_profiles_example_is_a_valid_tradeguard_toml(tmp_path: Path) -> None:
    page = Page("profiles.md")
    (example,) = page.blocks("tradeguard.toml", "toml")
    source = tmp_path / "tradeguard.toml"
    parsed = profile_parse.parse_text(example, source)
    assert parsed, "the example holds no profile"
    used = set(tomllib.loads(example)["profiles"][next(iter(parsed))])
    # the fix_* keys are read only with order_transport = "fix" (the example trades over REST
    # on the testnet); profiles.md's table has them
    only_elsewhere = {
        *("ip_whitelist_required_for_live", "fix_url", "fix_ca_file", "fix_drop_copy"),
        "fix_drop_copy_url",
    }
    assert used == set(profile_parse._PROFILE_KEYS) - only_elsewhere, (
        "the complete example should set every key of a profile"
    )


# ── sim.toml ────────────────────────────────────────────────────────────────────────────────

_READER_CALLS = {"int_", "bool_", "str_", "decimal", "has", "raw", "sub", "tables"}
# which sim.toml table each reading function of sim/config.py reads
SIM_SECTIONS = {
    "parse": "sim.toml",
    "_symbol": "[[symbols]]",
    "_market": "[market]",
    "_limits": "[limits]",
}
_FREE_FORM = {"_balances"}  # its keys are account and asset names, not settings


def _sim_toml_keys() -> dict[str, set[str]]:
    """The keys each function of sim/config.py reads, from its calls on its table reader."""
    tree = ast.parse(Path(sim_config.__file__).read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        for call in ast.walk(function):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in _READER_CALLS
                and call.args
                and isinstance(call.args[0], ast.Constant)
                and isinstance(call.args[0].value, str)
            ):
                found.setdefault(function.name, set()).add(call.args[0].value)
    return found


def test_the_sim_toml_reader_is_understood_by_this_test() -> None:
    readers = set(_sim_toml_keys()) - _FREE_FORM - {"_Reader"}
    assert readers == set(SIM_SECTIONS), (
        "sim/config.py reads keys in functions this test does not map to a docs section: "
        f"{sorted(readers - set(SIM_SECTIONS))}; add them to SIM_SECTIONS"
    )


@pytest.mark.parametrize("function", list(SIM_SECTIONS))
def test_every_sim_toml_key_is_documented(function: str) -> None:
    section = SIM_SECTIONS[function]
    _same(Page("simulator.md").keys(section), _sim_toml_keys()[function], f"sim.toml {section}")


def test_every_key_field_of_sim_toml_is_documented() -> None:
    page = Page("simulator.md")
    _same(page.keys("[[keys]]"), set(keys._FIELDS), "sim.toml [[keys]]")
    for permission in keys.PERMISSIONS:
        assert f'"{permission}"' in page.section("[[keys]]"), permission


def test_the_sim_toml_example_is_read_by_the_simulator() -> None:
    page = Page("simulator.md")
    (example,) = page.blocks("sim.toml", "toml")
    config = sim_config.parse(tomllib.loads(example), "docs/simulator.md")
    assert config.faults, "the example shows a [[faults]] entry"
    assert config.keys, "the example shows a [[keys]] entry"


# ── POST /sim/v1/faults ─────────────────────────────────────────────────────────────────────


def _fields(struct: type[msgspec.Struct]) -> set[str]:
    return {f.name for f in msgspec.structs.fields(struct)}


def _kinds() -> dict[str, type[faults_kinds.Fault]]:
    every = faults_kinds.AnyFault.__args__
    return {str(t.__struct_config__.tag): t for t in every}


def test_this_test_sees_every_fault_kind() -> None:
    assert set(_kinds()) == set(KINDS)


def test_the_fields_every_fault_takes_are_documented() -> None:
    page = Page("faults.md")
    tag = str(faults_kinds.Fault.__struct_config__.tag_field)  # "kind", not a field
    every = _fields(faults_kinds.Fault) | {tag}
    _same(page.keys("Fault"), every, "faults.md: fields of every fault")
    stream_only = _fields(faults_kinds.StreamFault) - _fields(faults_kinds.Fault)
    _same(page.keys("StreamFault"), stream_only, "faults.md: fields of every stream fault")


@pytest.mark.parametrize("kind", KINDS)
def test_every_fault_kind_is_documented_with_its_fields_and_an_example(kind: str) -> None:
    page = Page("faults.md")
    struct = _kinds()[kind]
    parent = next(
        base for base in (faults_kinds.StreamFault, faults_kinds.Fault) if issubclass(struct, base)
    )
    _same(page.keys(kind), _fields(struct) - _fields(parent), f"faults.md `{kind}`")
    examples = page.blocks(kind, "json")
    assert examples, f"faults.md `{kind}` has no JSON example"
    for example in examples:
        fault = parse_fault(json.loads(example))  # the docs' example is a valid body
        assert fault.__struct_config__.tag == kind


# ── the map ─────────────────────────────────────────────────────────────────────────────────


def _layout_modules() -> set[str]:
    """The .py files named in the layout tree of architecture.md, relative to src/tradeguard."""
    page = Page("architecture.md")
    (tree,) = page.blocks("src/tradeguard/", "text")
    found: set[str] = set()
    folders: list[str] = []
    for line in tree.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        if depth == 0:
            assert name == "src/tradeguard/", "the layout tree starts at src/tradeguard/"
            continue
        folders = folders[: depth - 1]
        if name.endswith("/"):
            folders.append(name)
        else:
            found.add("".join(folders) + name)
    return found


def test_the_layout_names_every_module_and_only_modules_that_exist() -> None:
    actual = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")}
    _same(_layout_modules(), actual, "architecture.md layout")


def test_no_page_links_outside_the_repository() -> None:
    for page in [ROOT / "README.md", *DOCS.glob("*.md"), *(ROOT / "examples").glob("*.md")]:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text and "/work/" not in text, page.name


def test_every_relative_link_in_the_readme_and_docs_resolves() -> None:
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    for page in [ROOT / "README.md", *DOCS.glob("*.md"), *(ROOT / "examples").glob("*.md")]:
        for target in link.findall(page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links {target}, which is missing"
