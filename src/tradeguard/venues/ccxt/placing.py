"""Plain orders (market, limit, post-only, IOC, FOK) in the venue's own words, without ccxt's
unified create_order (ccxt's error reading still judges the reply), and the last price, the
other request the guard makes as it places orders (its price checks read it every second),
without ccxt's fetch_ticker.

create_order rebuilds the request from ccxt's unified arguments for every order (market
lookups, option and param dicts, precision formatting through strings) and parses the reply into
a full unified order, of which the guard reads the id alone: on Bybit's and OKX's dialects that
cost as much CPU as everything the guard itself does per order. The request here is what ccxt's
create_order sends for the same order on spot (shared/reference/venues-ccxt-wire.md 1.6, 2.6),
built from the intent the guard has already checked against the symbol's rules (its quantity
and price are on the step and the tick). Stops, icebergs and orders by quote amount still go
through create_order (the venue's special endpoints and fields are ccxt's to know). Kraken's
AddOrder is built here too (3.2, 3.6) but signed by ccxt's implicit method, whose fetch keeps
Kraken's nonces in order.

The request is signed here too, as each venue signs (venues-ccxt-wire.md 1.3, 2.3), with ccxt's
own clock (its `nonce`, which keeps its time difference) and handed to the exchange's `fetch`:
ccxt's generic signing rebuilt a query string nobody reads and went through its retry and
request bookkeeping for every order. The HTTP, the reply's error reading and the wire's hooks are
ccxt's `fetch` as for every other request. An RSA key is left to ccxt's signing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from tradeguard.model import OrderIntent, OrderType, Side, TimeInForce

Raw = dict[str, Any]
# (ccxt's implicit method, its params: a dict, or a list for a batch endpoint)
Request = tuple[str, "Raw | list[Raw]"]
# what goes to the exchange's fetch: (url, headers, body)
Signed = tuple[str, dict[str, str], str]

_TIME_IN_FORCE: dict[TimeInForce | None, str] = {TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}


def is_plain(intent: OrderIntent) -> bool:
    """A market or limit order sized in the base asset, with no trigger, iceberg or trail."""
    return (
        intent.qty is not None
        and intent.stop_price is None
        and intent.iceberg_qty is None
        and intent.trailing_delta is None
        and intent.type in (OrderType.MARKET, OrderType.LIMIT, OrderType.LIMIT_MAKER)
        and (intent.type is OrderType.MARKET or intent.price is not None)
    )


def number(value: Decimal) -> str:
    """A decimal as venues write it: no exponent, no trailing zeros ("0.001", "60000")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _post_only(intent: OrderIntent) -> bool:
    return intent.type is OrderType.LIMIT_MAKER or intent.post_only


def bybit(intent: OrderIntent, market_id: str, client_id: str) -> Request:
    """POST /v5/order/create: a spot market order sized in the base coin (marketUnit
    baseCoin), or a limit order (timeInForce PostOnly, IOC or FOK when asked)."""
    assert intent.qty is not None
    market = intent.type is OrderType.MARKET
    request: Raw = {
        "symbol": market_id,
        "side": "Sell" if intent.side is Side.SELL else "Buy",
        "orderType": "Market" if market else "Limit",
        "orderLinkId": client_id,
        "category": "spot",
        "qty": number(intent.qty),
    }
    if market:
        request["marketUnit"] = "baseCoin"
    else:
        assert intent.price is not None
        request["price"] = number(intent.price)
        if _post_only(intent):
            request["timeInForce"] = "PostOnly"
        elif intent.time_in_force in _TIME_IN_FORCE:
            request["timeInForce"] = _TIME_IN_FORCE[intent.time_in_force]
    return "private_post_v5_order_create", request


def bybit_order_id(reply: Raw) -> str:
    return str(reply["result"]["orderId"])


def okx(intent: OrderIntent, market_id: str, client_id: str) -> Request:
    """POST /api/v5/trade/batch-orders (ccxt's default for one order), cash mode, sized in the
    base currency: ordType market, limit, post_only, ioc or fok."""
    assert intent.qty is not None
    request: Raw = {
        "instId": market_id,
        "side": "sell" if intent.side is Side.SELL else "buy",
        "ordType": "market",
        "sz": number(intent.qty),
        "tdMode": "cash",
        "tgtCcy": "base_ccy",
        "clOrdId": client_id,
    }
    if intent.type is not OrderType.MARKET:
        assert intent.price is not None
        request["px"] = number(intent.price)
        if _post_only(intent):
            request["ordType"] = "post_only"
        elif intent.time_in_force in _TIME_IN_FORCE:
            request["ordType"] = _TIME_IN_FORCE[intent.time_in_force].lower()
        else:
            request["ordType"] = "limit"
    return "private_post_trade_batch_orders", [request]


def okx_order_id(reply: Raw) -> str:
    return str(reply["data"][0]["ordId"])


def kraken(intent: OrderIntent, market_id: str, client_id: str) -> Request:
    """POST /0/private/AddOrder (a form, its fields in ccxt's order): the pair's AssetPairs key,
    type buy or sell, ordertype market or limit, volume in the base asset, cl_ord_id; a limit's
    price, with timeinforce IOC or oflags post when asked (Kraken spot has no FOK). Signed by
    ccxt (its nonce must reach Kraken in order: the wire's fetch keeps that order)."""
    assert intent.qty is not None
    market = intent.type is OrderType.MARKET
    request: Raw = {
        "pair": market_id,
        "type": "sell" if intent.side is Side.SELL else "buy",
        "ordertype": "market" if market else "limit",
        "volume": number(intent.qty),
        "cl_ord_id": client_id,
    }
    if not market:
        assert intent.price is not None
        request["price"] = number(intent.price)
        if intent.time_in_force is TimeInForce.IOC:
            request["timeinforce"] = "IOC"
        if _post_only(intent):
            request["oflags"] = "post"
    return "private_post_addorder", request


def kraken_order_id(reply: Raw) -> str:
    return str(reply["result"]["txid"][0])


def kraken_cancel(client_id: str) -> Request:
    """POST /0/private/CancelOrder naming the order by its cl_ord_id: no lookup of its txid
    first (Kraken answers a count; the order is read back after)."""
    return "private_post_cancelorder", {"cl_ord_id": client_id}


def _body(params: Raw | list[Raw]) -> str:
    return json.dumps(params, separators=(",", ":"))  # compact, as ccxt writes it


def _hmac(secret: str, text: str) -> bytes:
    return hmac.digest(secret.encode(), text.encode(), hashlib.sha256)


def bybit_signed(ex: Any, params: Raw | list[Raw]) -> Signed | None:
    """POST /v5/order/create signed as Bybit v5 wants: HMAC-SHA256 (hex) over timestamp +
    key + recv window + body."""
    if "PRIVATE KEY" in ex.secret:
        return None
    body = _body(params)
    stamp, window = str(ex.nonce()), str(ex.options["recvWindow"])
    headers = {
        "Content-Type": "application/json",
        "X-BAPI-API-KEY": ex.apiKey,
        "X-BAPI-TIMESTAMP": stamp,
        "X-BAPI-RECV-WINDOW": window,
        "X-BAPI-SIGN": _hmac(ex.secret, stamp + ex.apiKey + window + body).hex(),
    }
    return ex.implode_hostname(ex.urls["api"]["private"]) + "/v5/order/create", headers, body


OKX_BATCH_PATH = "/api/v5/trade/batch-orders"


def okx_signed(ex: Any, params: Raw | list[Raw]) -> Signed | None:
    """POST /api/v5/trade/batch-orders signed as OKX wants: HMAC-SHA256 (base64) over the ISO
    timestamp + method + path + body."""
    body = _body(params)
    stamp = ex.iso8601(ex.nonce())
    signature = _hmac(ex.secret, stamp + "POST" + OKX_BATCH_PATH + body)
    headers = {
        "OK-ACCESS-KEY": ex.apiKey,
        "OK-ACCESS-PASSPHRASE": ex.password,
        "OK-ACCESS-TIMESTAMP": stamp,
        "Content-Type": "application/json",
        "OK-ACCESS-SIGN": base64.b64encode(signature).decode(),
    }
    return ex.implode_hostname(ex.urls["api"]["rest"]) + OKX_BATCH_PATH, headers, body


# the last price: (the public endpoint's URL, where its reply holds the price)
def bybit_ticker(ex: Any, market_id: str) -> str:
    """GET /v5/market/tickers for one spot symbol (its row's lastPrice)."""
    base = ex.implode_hostname(ex.urls["api"]["public"])
    return f"{base}/v5/market/tickers?category=spot&symbol={market_id}"


def bybit_last(reply: Raw) -> str:
    return str(reply["result"]["list"][0]["lastPrice"])


def okx_ticker(ex: Any, market_id: str) -> str:
    """GET /api/v5/market/ticker for one instrument (its row's last)."""
    return f"{ex.implode_hostname(ex.urls['api']['rest'])}/api/v5/market/ticker?instId={market_id}"


def okx_last(reply: Raw) -> str:
    return str(reply["data"][0]["last"])
