"""OKX's candle channels (candle<bar>), which OKX serves on /ws/v5/business, not /ws/v5/public:
public channels, so no login is needed for them there.

    → {"id":"3","op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}
    ← {"id":"3","event":"subscribe","arg":{…},"connId":…}
    ← {"arg":{channel, instId},"data":[[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]]}

`ts` is the candle's open time, `vol` in the base currency, `volCcy` and `volCcyQuote` in the
quote currency (spot), `confirm` "0" while the candle forms and "1" once it closed; the current
candle every 2 s while it changes (the simulator's kline feed). Bars are REST's
(rest_market.BARS_MS) that the engine's candle feeds have: 2Dutc is not streamed, and its
refusal says so (`refusal`). The engine's feeds are Binance's kline streams, and Binance has no
2-day kline: a feed of its own would serve Binance's clients a stream Binance does not have.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from tradeguard.sim.okx import wire
from tradeguard.sim.okx.rest_market import BARS_MS
from tradeguard.sim.rest_params import KLINE_INTERVALS_MS
from tradeguard.sim.venue_market import plain

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PREFIX: Final = "candle"
# each streamed bar and the simulator feed's interval of the same length
FEEDS: Final = {
    bar: interval
    for bar, ms in BARS_MS.items()
    for interval, feed_ms in KLINE_INTERVALS_MS.items()
    if ms == feed_ms
}
Json = dict[str, Any]


def is_candle(arg: object) -> bool:
    return isinstance(arg, dict) and str(arg.get("channel", "")).startswith(PREFIX)


class CandleTopic:
    def __init__(self, arg: Json, symbol: str, bar: str) -> None:
        self.arg = arg
        self.name = f"{arg['channel']}:{arg['instId']}"
        self.feed = f"{symbol.lower()}@kline_{FEEDS[bar]}"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        k = payload["k"]
        quote = plain(Decimal(k["q"]))
        row = [
            str(k["t"]), plain(Decimal(k["o"])), plain(Decimal(k["h"])), plain(Decimal(k["l"])),
            plain(Decimal(k["c"])), plain(Decimal(k["v"])), quote, quote, "1" if k["x"] else "0",
        ]  # fmt: skip
        return [{"arg": self.arg, "data": [row]}]


def refusal(arg: object) -> str:
    """OKX's 60018 text for a candle channel not served; for a bar OKX streams and this
    simulator does not (2Dutc), saying so and where it can be read instead."""
    channel = arg.get("channel") if isinstance(arg, dict) else arg
    text = f"Wrong URL or channel:{channel} doesn't exist."
    bar = str(channel).removeprefix(PREFIX)
    if bar in BARS_MS and bar not in FEEDS:
        text += (
            f" OKX streams it; this simulator does not (its engine has no {bar} candle feed):"
            " read it from GET /api/v5/market/candles."
        )
    return text


def topic_of(sim: Sim, arg: object) -> tuple[Json, CandleTopic] | None:
    """A candle subscription's argument as OKX echoes it, and its topic; None if the bar or
    the instrument is not served."""
    if not isinstance(arg, dict) or not is_candle(arg):
        return None
    if not all(isinstance(v, str) for v in arg.values()):
        return None
    bar = str(arg["channel"]).removeprefix(PREFIX)
    inst = arg.get("instId")
    spec = next((s for s in sim.symbols().values() if wire.inst_id(s) == inst), None)
    if spec is None or bar not in FEEDS:
        return None
    kept = {"channel": str(arg["channel"]), "instId": str(inst)}
    return kept, CandleTopic(kept, spec.symbol, bar)
