"""The signing gateway: Binance Spot's REST on loopback for a bot that keeps its own code.

A bot that speaks Binance's API points its base URL here and signs with a local key that is
worthless anywhere else; the gateway checks that signature as Binance would, puts every order
through the session's guard (kill switch, filters, risk limits, rung caps, journal,
unknown-outcome resolution), reads through the session's transport (the real request budget
and bans), and answers in Binance's shapes. The real key never leaves the session.

Modules: `local_keys` (the keys a bot signs with, and Binance's auth checks), `wire_errors`
(tradeguard's errors as Binance's error replies), `shapes` (orders, trades and balances as
Binance's JSON), `order_params` (a Binance order request as an intent), `refused` (the paths
that move funds), `routes` (one handler per endpoint), `server` (the aiohttp app).
"""
