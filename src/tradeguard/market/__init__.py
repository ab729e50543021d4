"""Market data: a local order book from Binance's snapshot + diff rules (pure), the market
streams kept by the session, and REST reads cached and counted under the same limiter as orders."""
