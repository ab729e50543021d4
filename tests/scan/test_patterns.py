"""The detectors on single snippets: each kind found, the usual look-alikes not."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid

import pytest

from tests.scan import corpus
from tradeguard.scan import scan_bytes
from tradeguard.scan.entropy import looks_random
from tradeguard.scan.own import OwnSecrets

RNG = random.Random(20261120)
ALNUM = corpus.ALNUM


def rand(alphabet: str, n: int) -> str:
    while True:
        value = "".join(RNG.choice(alphabet) for _ in range(n))
        if looks_random(value.encode(), min(n, 16)):
            return value


def kinds(text: str, own: OwnSecrets | None = None) -> list[tuple[int, str]]:
    return [(h.line, h.kind) for h in scan_bytes(text.encode(), own)]


def test_every_planted_snippet_is_found() -> None:
    for lines, marks in corpus.credential_lines(random.Random(3)):
        text = "x = 1\n\n" + "\n".join(lines) + "\n"
        found = kinds(text)
        for offset, kind, _ in marks:
            assert (offset + 3, kind) in found, (kind, found)


@pytest.mark.parametrize(
    "line",
    [
        f'BINANCE = "{rand(ALNUM, 64)}"',
        f'headers = {{"X-MBX-APIKEY": "{rand(ALNUM, 64)}"}}',
    ],
)
def test_binance_shape_alone(line: str) -> None:
    assert [k for _, k in kinds(line)] == ["binance-key"]


def test_okx_pair_and_passphrase() -> None:
    key, secret = uuid.UUID(int=RNG.getrandbits(128), version=4), rand("0123456789ABCDEF", 32)
    text = f'creds = ["{key}",\n         "{secret}"]\nOKX_PASSPHRASE = "Tr4de!ngPass#1"\n'  # tradeguard: allow
    assert kinds(text) == [(1, "okx-key"), (2, "okx-secret"), (3, "okx-passphrase")]


def test_bybit_by_name_and_by_pair() -> None:
    key, secret = rand(ALNUM, 18), rand(ALNUM, 36)
    assert kinds(f'bybit_api_key = "{key}"\n') == [(1, "bybit-key")]
    assert kinds(f'pair = ("{key}",\n  "{secret}")\n') == [(1, "bybit-key"), (2, "bybit-secret")]


def test_kraken_shapes() -> None:
    key = base64.b64encode(RNG.randbytes(42)).decode()
    private = base64.b64encode(RNG.randbytes(64)).decode()
    assert kinds(f'K = "{key}"\nP = "{private}"\n') == [
        (1, "kraken-key"),
        (2, "kraken-private-key"),
    ]


def test_a_signature_has_a_private_keys_shape_but_is_not_one() -> None:
    """An HMAC-SHA512 (Kraken's API-Sign) or Ed25519 signature is 64 random bytes in base64,
    exactly the shape of a Kraken private key: the name it is bound to tells them apart."""
    signature = base64.b64encode(RNG.randbytes(64)).decode()
    for text in (
        f'    assert (\n        kraken_sign(secret, "/0/private/AddOrder", nonce, data)\n'
        f'        == "{signature}"\n    )\n',
        f'headers = {{"API-Sign": "{signature}"}}\n',
        f'expected_signature = "{signature}"\n',
        f'assert hmac_sha512(body) == "{signature}"\n',
        f"API-Sign: {signature}\n",
    ):
        assert kinds(text) == [], text
    private = base64.b64encode(RNG.randbytes(64)).decode()
    for text in (
        f'secret = "{private}"\n',
        f'kraken_sign(secret="{private}", path="/0/private/Balance")\n',
        f'signing_key = "{private}"\n',
        f'def sign(data):\n    KEY = "{private}"\n',
        f'sign(data,\n     "{private}")\n',
        f'assert creds.secret == "{private}"\n',
    ):
        assert [k for _, k in kinds(text)] == ["kraken-private-key"], text


def test_pem_private_key_in_a_string_with_escapes() -> None:
    body = base64.b64encode(RNG.randbytes(48)).decode()
    text = f'key = "-----BEGIN EC PRIVATE KEY-----\\n{body}\\n-----END EC PRIVATE KEY-----"\n'
    assert kinds(text) == [(1, "private-key")]


@pytest.mark.parametrize(
    "line",
    [
        f'DIGEST = "{hashlib.sha256(b"abc").hexdigest()}"',
        f'checksum_key = "{hashlib.sha256(b"x").hexdigest()}"',
        f'cache_key = "{hashlib.md5(b"x").hexdigest()}"',
        f'REQUEST_ID = "{uuid.uuid4()}"',
        f'idempotency_key = "{uuid.uuid4()}"',
        f'    "integrity": "sha512-{base64.b64encode(hashlib.sha512(b"p").digest()).decode()}",',
        f"    --hash=sha256:{hashlib.sha256(b'p').hexdigest()}",
        'api_key = "BINANCE_API_KEY"',
        'secret = "~/.config/tradeguard/binance-2024.key"',
        "key = os.environ.get('OKX_API_KEY')",
        'passphrase = "OKX_PASSPHRASE"',
        "items.sort(key=lambda item: item.updated_at)",
        'token_url = "https://example.com/oauth2/token"',
        'api_key = "your-api-key-here-xxxxxxxxxxxxxxxx"',
        'SECRET_KEY = "abcdefghijklmnopqrstuvwxyz012345"',
        "secret_name = settings.api_secret_v2",
        "PEM_HINT = 'give the whole PEM, from -----BEGIN PRIVATE KEY----- to its END line'",
        f'KEY_ID = "{uuid.uuid4().hex}"',
    ],
)
def test_look_alikes_are_not_secrets(line: str) -> None:
    assert kinds(line + "\n") == []


def test_wrapped_base64_block_is_not_a_key() -> None:
    blob = base64.b64encode(RNG.randbytes(900)).decode()
    lines = [f'    "{blob[i : i + 64]}"' for i in range(0, len(blob), 64)]
    assert kinds("DATA = (\n" + "\n".join(lines) + "\n)\n") == []
    bare = "\n".join(blob[i : i + 64] for i in range(0, len(blob), 64))
    assert kinds(f"-----BEGIN CERTIFICATE-----\n{bare}\n-----END CERTIFICATE-----\n") == []


def test_allow_comment() -> None:
    key = rand(ALNUM, 64)
    assert kinds(f'KEY = "{key}"  # tradeguard: allow\n') == []
    assert kinds(f'KEY = "{key}"  // pragma: allowlist secret\n') == []
    assert kinds(f'KEY = "{key}"\n') == [(1, "binance-key")]


def test_own_secret_by_hash_anywhere_in_a_token() -> None:
    secret = rand(ALNUM, 24)  # no shape of its own: found only as the user's secret
    own, skipped = OwnSecrets.from_values([("MY_SECRET", secret), ("SHORT", "abc")])
    assert skipped == ["SHORT"] and len(own) == 1
    text = (
        f'url = "wss://x.invalid/ws?sig=XY{secret}"\nplain = "{secret}"\nother = "{secret[:-1]}Q"\n'
    )
    found = kinds(text, own)
    assert found == [(1, "own-secret:MY_SECRET"), (2, "own-secret:MY_SECRET")]
    assert secret not in repr(own.__dict__)


def test_own_passphrase_with_symbols() -> None:
    own, _ = OwnSecrets.from_values([("OKX_PASS", "my pass phrase!")])
    assert kinds('login("user", "my pass phrase!")\n', own) == [(1, "own-secret:OKX_PASS")]


def test_redaction_shows_four_characters_only() -> None:
    key = rand(ALNUM, 64)
    (hit,) = scan_bytes(f'K = "{key}"\n'.encode())
    assert hit.redacted == key[:4] + "…"
