"""The private stream's frames, per venue, as journal events: pure decoders (no I/O).

Each venue module (`bybit`, `okx`, `kraken`) holds msgspec Structs for exactly the fields the
guard reads, decodes a frame's bytes once into them, and turns what it says into the events the
Binance stream yields: `OrderFilled` per fill with its trade id, `OrderUpdated` for what is not
a fill (new, canceled, expired, rejected; a fill's own status is said by the fill, so a fill is
never counted twice), `BalanceChanged` at the exchange's time. It also says what the socket
must send (login, subscribe, ping) in the venue's words.

    account.py   what every decoder knows of the account: symbols, assets, ids, client ids
    bybit.py     Bybit v5 /v5/private: auth, topics order, execution, wallet
    okx.py       OKX v5 /ws/v5/private: login, channels orders (fills inside), account
    kraken.py    Kraken WS v2: a REST token, channel executions
"""
