"""Order intents from what a bot asks for, and the client order ids they carry. Pure.

Every order gets a client order id before anything is sent (DESIGN: Orders). Ids must be unique
across restarts, and Binance takes `^[a-zA-Z0-9-_]{1,36}$`: an id is `tg-<boot>-<n>` where
`<boot>` is this session's start time in base 36 plus a few random characters (both passed in:
this module reads no clock and no randomness), and `<n>` counts up. Two sessions started in the
same millisecond still differ by the random part; the ledger refuses an id it already holds.
"""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from tradeguard.errors import ConfigError
from tradeguard.model import OrderIntent, OrderType, Side, Symbol, TimeInForce

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
E = TypeVar("E", bound=enum.Enum)
Amount = Decimal | str | int


def base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


class ClientIds:
    def __init__(self, boot_ms: int, nonce: str, prefix: str = "tg") -> None:
        if not nonce.isalnum():
            raise ValueError("the nonce must be alphanumeric")
        self._stem = f"{prefix}-{base36(boot_ms)}{nonce[:4]}-"
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return self._stem + base36(self._n)


def amount(value: Amount | None, what: str) -> Decimal | None:
    """A user's amount as a Decimal: strings and ints, never floats (0.1 is not 0.1)."""
    if value is None:
        return None
    if isinstance(value, bool):  # an int to Python: True would be an amount of 1
        raise ConfigError(f"{what} was given as {value}, not an amount", hint='e.g. "0.001"')
    if isinstance(value, float):
        raise ConfigError(
            f"{what} was given as the float {value!r}", hint=f'pass it as a string: "{value}"'
        )
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ConfigError(f"{what} {value!r} is not a number", hint='e.g. "0.001"') from None
    if not result.is_finite() or result <= 0:
        raise ConfigError(f"{what} must be a positive number, got {value!r}")
    return result


_PARSED: dict[str, Symbol] = {}  # a bot names the same few symbols on every order
_PARSED_MAX = 1024


def symbol_of(value: Symbol | str) -> Symbol:
    if isinstance(value, Symbol):
        return value
    known = _PARSED.get(value)
    if known is None:
        known = Symbol.parse(value)  # raises on bad text: nothing cached for it
        if len(_PARSED) < _PARSED_MAX:
            _PARSED[value] = known
    return known


def choice(kind: type[E], value: E | str, what: str) -> E:
    """`value` as one of the enum `kind`'s members, in any case ("buy", "Buy", Side.BUY); a
    clear error listing the valid values otherwise, never a bare ValueError."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        for member in kind:
            if member.value.upper() == value.strip().upper():
                return member
    valid = ", ".join(str(m.value) for m in kind)
    raise ConfigError(f"{what} {value!r} is not one of {valid} (any case)")


def intent(
    client_order_id: str,
    symbol: Symbol | str,
    side: Side | str,
    type: OrderType | str,
    *,
    qty: Amount | None = None,
    quote_qty: Amount | None = None,
    price: Amount | None = None,
    stop_price: Amount | None = None,
    time_in_force: TimeInForce | str | None = None,
    trailing_delta: int | None = None,
    iceberg_qty: Amount | None = None,
    post_only: bool = False,
    list_client_order_id: str | None = None,
) -> OrderIntent:
    """An `OrderIntent`, every amount checked and made a Decimal; a LIMIT without a
    time in force is GTC (Binance's own default would be to refuse it)."""
    kind = choice(OrderType, type, "order type")
    tif = choice(TimeInForce, time_in_force, "time_in_force") if time_in_force is not None else None
    if (
        tif is None
        and kind in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
        and not post_only
    ):
        tif = TimeInForce.GTC
    # the amounts an order leaves out are not checked (a market order has one of five)
    return OrderIntent(
        client_order_id=client_order_id,
        symbol=symbol_of(symbol),
        side=choice(Side, side, "side"),
        type=kind,
        qty=None if qty is None else amount(qty, "qty"),
        quote_qty=None if quote_qty is None else amount(quote_qty, "quote_qty"),
        price=None if price is None else amount(price, "price"),
        stop_price=None if stop_price is None else amount(stop_price, "stop_price"),
        time_in_force=tif,
        trailing_delta=trailing_delta,
        iceberg_qty=None if iceberg_qty is None else amount(iceberg_qty, "iceberg_qty"),
        post_only=post_only,
        list_client_order_id=list_client_order_id,
    )
