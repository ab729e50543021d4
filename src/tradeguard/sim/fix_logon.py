"""A Logon <A> checked as Binance's order entry checks it (the acceptor's first message).

Logon first (-1180 otherwise): EncryptMethod 0, HeartBtInt 5-60, ResetSeqNumFlag Y (-1175),
MessageHandling 1 or 2, an API key that may trade from this IP (-2015), an Ed25519 key with
the FIX_API permission (HMAC and RSA keys, or one without it, cannot log on: -2015; a
drop-copy Logon, DropCopyFlag 9406=Y, may have FIX_API_READ_ONLY instead), RawData
the Ed25519 signature of 35|49|56|34|52 (-1022), SendingTime within RecvWindow (5000 ms for
Logon, or 25000) and at most 1 s ahead (-1021), a SenderCompID of 1-8 of [A-Za-z0-9-_]
(-1178). Whether the comp id is free is the acceptor's
to say (it knows the live sessions).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from tradeguard.sim.auth import Security, check_key
from tradeguard.sim.rejects import Reject
from tradeguard.venues.binance import signing
from tradeguard.venues.binance.fix_wire import FixMessage, logon_payload, parse_timestamp

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey

COMP_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,8}")
LOGON_RECV_WINDOW_MS: Final = 5000
MAX_AHEAD_MS: Final = 1000


class Refused(Exception):
    """Ends the session: a Reject <3> with this code and text, then a Logout."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def check(msg: FixMessage, sim: Sim, ip: str) -> tuple[ApiKey, int, bool]:
    """The key that logged on, its HeartBtInt, and whether this is a drop-copy session
    (DropCopyFlag 9406=Y); Refused for anything Binance refuses."""
    sender = msg.get(49) or "?"
    if msg.msg_type != "A":
        raise Refused(-1180, "The first message must be a Logon.")
    if not COMP_ID.fullmatch(sender):
        raise Refused(-1178, "Invalid SenderCompID.")
    if msg.seq != 1:
        raise Refused(-1179, "MsgSeqNum too high or low, Expected: '1'")
    if msg.get(141) != "Y":
        raise Refused(-1175, "ResetSeqNumFlag must be 'Y'.")
    if msg.get(98) != "0" or msg.get(25035) not in ("1", "2"):
        raise Refused(-1102, "EncryptMethod must be 0 and MessageHandling 1 or 2.")
    heartbeat = msg.get(108) or ""
    if not heartbeat.isdigit() or not 5 <= int(heartbeat) <= 60:
        raise Refused(-1102, "HeartBtInt must be between 5 and 60.")
    now = sim.clock.now_ms()
    key = sim.keystore.by_api_key(msg.get(553) or "")
    drop_copy = msg.get(9406) == "Y"
    try:
        if drop_copy:  # reads only: FIX_API or FIX_API_READ_ONLY
            key = check_key(key, ip, Security.USER_DATA, "read", now)
        else:
            key = check_key(key, ip, Security.TRADE, "trade", now)
    except Reject as rej:
        raise Refused(rej.code, rej.msg) from None
    allowed = key.enable_fix_api_trade or (drop_copy and key.enable_fix_read_only)
    if key.kind != "ED25519" or not allowed:
        # [I] Binance's text for an HMAC or RSA key, or one without the FIX permission
        raise Refused(-2015, "Invalid API-key, IP, or permissions for action.")
    sending_time = msg.get(52) or ""
    payload = logon_payload(sender, msg.get(56) or "", 1, sending_time)
    signature = msg.get(96) or ""
    if msg.get(95) != str(len(signature)) or not signing.verify(
        "ED25519", key.verification_key, payload, signature
    ):
        raise Refused(-1022, "Signature for this request is not valid.")
    sent = parse_timestamp(sending_time)
    window = int(msg.get(25000) or LOGON_RECV_WINDOW_MS)
    if sent is None or now - sent > window or sent - now > MAX_AHEAD_MS:
        raise Refused(-1021, "Timestamp for this request is outside of the recvWindow.")
    return key, int(heartbeat), drop_copy
