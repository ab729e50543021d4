"""A deterministic tree of ordinary code-like text, with keys planted where asked.

`ordinary_tree(seed, size)` writes Python modules, configs, lockfiles and data files that are
full of what trips secret scanners (sha256 and md5 digests, SRI hashes, UUIDs, wrapped base64,
environment-variable names under key-like names, `key=` arguments) and holds no secret.
`plant(files, seed, count)` puts `count` credentials of every kind the scanner knows into it,
under keyword names and under neutral names, and returns where each one is. Every value is
drawn from `random.Random(seed)`, so nothing that looks like a key is ever written in a source
file of this repository.
"""

from __future__ import annotations

import base64
import hashlib
import random
import string
import uuid
from dataclasses import dataclass
from pathlib import Path

ALNUM = string.ascii_letters + string.digits
WORDS = [
    "order",
    "price",
    "quantity",
    "symbol",
    "balance",
    "fill",
    "trade",
    "venue",
    "client",
    "session",
    "journal",
    "limit",
    "risk",
    "stream",
    "socket",
    "retry",
    "backoff",
    "window",
    "ledger",
    "cursor",
    "config",
    "profile",
    "position",
    "market",
    "depth",
    "ticker",
    "candle",
    "event",
    "reply",
    "status",
    "reason",
    "amount",
    "notional",
    "fee",
    "asset",
    "account",
    "update",
    "cache",
    "record",
    "entry",
    "index",
    "offset",
    "count",
    "total",
    "value",
    "result",
    "error",
    "handler",
    "request",
    "response",
]


@dataclass(frozen=True)
class Planted:
    path: str
    line: int  # 1-based
    kind: str  # the scanner's kind, or a family: "binance", "okx", ...
    value: str


def _word(rng: random.Random) -> str:
    return rng.choice(WORDS)


def _name(rng: random.Random) -> str:
    return "_".join(_word(rng) for _ in range(rng.randint(1, 3)))


def _camel(rng: random.Random) -> str:
    return "".join(_word(rng).capitalize() for _ in range(rng.randint(1, 3)))


def _random(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _module(rng: random.Random) -> str:
    out = [f'"""{_camel(rng)}: {" ".join(_word(rng) for _ in range(10))}."""', ""]
    out += ["from __future__ import annotations", "", "import hashlib", "import os", ""]
    out.append(f'API_KEY_ENV = "{_name(rng).upper()}_API_KEY"')
    out.append(f'SECRET_ENV = "{_name(rng).upper()}_SECRET"')
    out.append(f'TOKEN_NAME = "{_name(rng)}-token"')
    out.append(f'DIGEST = "{hashlib.sha256(_name(rng).encode()).hexdigest()}"')
    out.append(f'REQUEST_ID = "{uuid.UUID(int=rng.getrandbits(128), version=4)}"')
    out.append("")
    for _ in range(rng.randint(4, 9)):
        cls = _camel(rng)
        out.append(f"class {cls}:")
        out.append(f'    """The {_word(rng)} of a {_word(rng)}, kept by {_word(rng)}."""')
        out.append("")
        for _ in range(rng.randint(2, 5)):
            fn, a, b = _name(rng), _word(rng), _word(rng)
            out.append(f"    def {fn}(self, {a}: int, {b}: str = {_word(rng)!r}) -> dict:")
            out.append(f'        cache_key = f"{{self.__class__.__name__}}:{{{a}}}:{{{b}}}"')
            out.append(f"        {_name(rng)} = sorted(self.items, key=lambda x: x.{_word(rng)})")
            out.append("        api_key = os.environ.get(API_KEY_ENV, '')")
            out.append(
                f"        etag = hashlib.md5({b}.encode()).hexdigest()  # "
                f"{hashlib.md5(fn.encode()).hexdigest()}"
            )
            out.append(f"        if {a} > {rng.randint(1, 10_000)}:")
            out.append(f"            raise ValueError(f'{_word(rng)} {{{a}}} too large')")
            out.append(f"        return {{'{_word(rng)}': {a}, 'key': cache_key, 'etag': etag}}")
            out.append("")
    out.append("TEST_VECTORS = {")
    for _ in range(rng.randint(1, 4)):
        word = _name(rng)
        out.append(f'    "{word}": "{hashlib.sha256(word.encode()).hexdigest()}",')
        out.append(f'    "{word}-uuid": "{uuid.uuid5(uuid.NAMESPACE_DNS, word)}",')
    out.append("}")
    blob = base64.b64encode(rng.randbytes(rng.randint(200, 1500))).decode()
    out.append("ICON = (")
    out += [f'    "{blob[i : i + 76]}"' for i in range(0, len(blob), 76)]
    out.append(")")
    return "\n".join(out) + "\n"


def _lockfile(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(20, 60)):
        pkg = _name(rng).replace("_", "-")
        digest = hashlib.sha256(pkg.encode() + rng.randbytes(4)).hexdigest()
        out.append(f"{pkg}=={rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)} \\")
        out.append(f"    --hash=sha256:{digest}")
    return "\n".join(out) + "\n"


def _package_lock(rng: random.Random) -> str:
    out = ["{", '  "packages": {']
    for _ in range(rng.randint(20, 60)):
        pkg = _name(rng).replace("_", "-")
        sri = base64.b64encode(hashlib.sha512(pkg.encode() + rng.randbytes(4)).digest()).decode()
        out.append(f'    "node_modules/{pkg}": {{')
        out.append(f'      "version": "{rng.randint(0, 9)}.{rng.randint(0, 9)}.0",')
        out.append(f'      "integrity": "sha512-{sri}",')
        out.append(f'      "resolved": "https://registry.npmjs.org/{pkg}/-/{pkg}.tgz"')
        out.append("    },")
    out.append('    "": {}')
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def _config(rng: random.Random) -> str:
    name = _name(rng)
    return (
        f"[profiles.{name}]\n"
        f'venue = "binance"\nenv = "testnet"\n'
        f"[profiles.{name}.credentials]\n"
        f'source = "env"\napi_key = "{name.upper()}_API_KEY"\nsecret = "{name.upper()}_SECRET"\n'
        f'passphrase = "{name.upper()}_PASSPHRASE"\n'
        f'keyring_service = "tradeguard"\n'
        f'secret_file = "~/.config/tradeguard/{name}-2024.key"\n'
    )


def ordinary_tree(seed: int, size: int) -> dict[str, str]:
    """Files (relative path -> text) of about `size` bytes in total, no secret in any."""
    rng = random.Random(seed)
    files: dict[str, str] = {}
    total = 0
    i = 0
    while total < size:
        kind = rng.random()
        folder = f"pkg{i % 23}/{_word(rng)}"
        if kind < 0.85:
            path, text = f"{folder}/{_name(rng)}_{i}.py", _module(rng)
        elif kind < 0.92:
            path, text = f"{folder}/requirements-{i}.txt", _lockfile(rng)
        elif kind < 0.97:
            path, text = f"{folder}/package-lock-{i}.json", _package_lock(rng)
        else:
            path, text = f"{folder}/tradeguard-{i}.toml", _config(rng)
        files[path] = text
        total += len(text)
        i += 1
    return files


def _pem(rng: random.Random) -> str:
    body = base64.b64encode(rng.randbytes(48 + 64)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"


def credential_lines(rng: random.Random) -> list[tuple[list[str], list[tuple[int, str, str]]]]:
    """Snippets with credentials: (lines, [(line offset, kind, value)]). Keyword and neutral
    names, every kind once."""
    b_key, b_secret = _random(rng, ALNUM, 64), _random(rng, ALNUM, 64)
    y_key, y_secret = _random(rng, ALNUM, 18), _random(rng, ALNUM, 36)
    o_key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    o_secret = _random(rng, "0123456789ABCDEF", 32)
    o_pass = _random(rng, ALNUM + "!#%", 14)
    k_key = base64.b64encode(rng.randbytes(42)).decode()
    k_priv = base64.b64encode(rng.randbytes(64)).decode()
    token = _random(rng, ALNUM, 40)
    pem = _pem(rng)
    return [
        (
            [f'api_key = "{b_key}"', f'api_secret = "{b_secret}"'],
            [(0, "binance-key", b_key), (1, "binance-secret", b_secret)],
        ),
        ([f'BN = ("{b_key}", "{b_secret}")'], [(0, "binance-key", b_key)]),
        (
            [f'client = ccxt.bybit({{"apiKey": "{y_key}",', f'    "secret": "{y_secret}"}})'],
            [(0, "bybit-key", y_key), (1, "bybit-secret", y_secret)],
        ),
        ([f'BY = ["{y_key}", "{y_secret}"]'], [(0, "bybit-key", y_key)]),
        (
            [
                f'exchange = ccxt.okx({{"apiKey": "{o_key}", "secret": "{o_secret}",',
                f'    "password": "x", "passphrase": "{o_pass}"}})',
            ],
            [(0, "okx-key", o_key), (1, "okx-passphrase", o_pass)],
        ),
        ([f'OKX = ["{o_key}", "{o_secret}"]'], [(0, "okx-key", o_key)]),
        (
            [f'KRAKEN_API_KEY = "{k_key}"', f'KRAKEN_API_SECRET = "{k_priv}"'],
            [(0, "kraken-key", k_key), (1, "kraken-private-key", k_priv)],
        ),
        ([f'KR = "{k_priv}"'], [(0, "kraken-private-key", k_priv)]),
        ([f'GITHUB_TOKEN = "{token}"'], [(0, "secret-assignment", token)]),
        (
            ['PRIVATE_KEY = """' + pem.splitlines()[0], *pem.splitlines()[1:], '"""'],
            [(0, "private-key", pem)],
        ),
    ]


def plant(files: dict[str, str], seed: int, count: int) -> list[Planted]:
    """Put `count` credential snippets into random files (at random lines)."""
    rng = random.Random(seed + 1)
    names = sorted(files)
    planted: list[Planted] = []
    taken: set[str] = set()
    for i in range(count):
        path = rng.choice([n for n in names if n.endswith(".py") and n not in taken])
        taken.add(path)
        snippets = credential_lines(rng)
        lines, marks = snippets[i % len(snippets)]
        body = files[path].splitlines()
        at = rng.randint(0, len(body))
        # Not inside a parenthesised block: after a blank line.
        while at < len(body) and at > 0 and body[at - 1].strip():
            at += 1
        body[at:at] = lines
        files[path] = "\n".join(body) + "\n"
        planted += [Planted(path, at + 1 + off, kind, value) for off, kind, value in marks]
    return planted


def write(root: Path, files: dict[str, str]) -> int:
    total = 0
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        target.write_bytes(data)
        total += len(data)
    return total
