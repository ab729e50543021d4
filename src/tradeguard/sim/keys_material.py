"""Key material for the simulator's keys, derived from bytes the seed gives: no randomness.

Ed25519 takes any 32 bytes as a private key. RSA has no such shortcut, so two primes are
searched for from a hash of the seed (sieve, then Miller-Rabin with fixed bases); the search
takes a few tenths of a second in pure Python, hence the cache.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tradeguard.venues.binance.signing import KeyKind


def _private_pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_pem_of(private_key_pem: str) -> str:
    """The SubjectPublicKeyInfo PEM of a PKCS#8 private key PEM (what Binance is given)."""
    key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise ValueError("expected an Ed25519 or RSA private key")
    public = key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def check_public_pem(pem: str, kind: KeyKind) -> str:
    """`pem` if it is a public key of `kind` (RSA: at least 2048 bits), else ValueError."""
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc.__class__.__name__})") from None
    if kind == "ED25519" and not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError("expected an Ed25519 public key")
    if kind == "RSA":
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("expected an RSA public key")
        if key.key_size < 2048:
            raise ValueError(f"RSA keys must be 2048 or 4096 bits, got {key.key_size}")
    return pem


def derive_ed25519_pem(seed32: bytes) -> str:
    return _private_pem(ed25519.Ed25519PrivateKey.from_private_bytes(seed32))


def _primes_below(limit: int) -> tuple[int, ...]:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(range(i * i, limit, i)))
    return tuple(i for i in range(3, limit) if sieve[i])


# Odd primes for sieving a window of candidates before any (slow, pure-Python) Miller-Rabin.
_SIEVE_PRIMES: Final = _primes_below(1 << 16)
_MR_BASES: Final = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
_WINDOW: Final = 4096  # odd candidates per sieved window; a 1024-bit prime is ~355 odds away


def _passes_miller_rabin(n: int) -> bool:
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in _MR_BASES:  # fixed bases suffice for numbers nobody chose adversarially
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _derive_prime(seed32: bytes, label: bytes, bits: int, e: int) -> int:
    raw = hashlib.shake_256(seed32 + label).digest(bits // 8)
    # Top two bits set so that p*q has exactly 2*bits bits; odd.
    start = int.from_bytes(raw, "big") | (3 << (bits - 2)) | 1
    while True:
        alive = bytearray([1]) * _WINDOW  # index k stands for start + 2k
        for p in _SIEVE_PRIMES:
            # first k with start + 2k = 0 (mod p): k = -start * 2^-1 (mod p)
            first = (-start * pow(2, -1, p)) % p
            alive[first::p] = bytearray(len(range(first, _WINDOW, p)))
        for k in range(_WINDOW):
            n = start + 2 * k
            if alive[k] and (n - 1) % e != 0 and _passes_miller_rabin(n):
                return n
        start += 2 * _WINDOW


@lru_cache(maxsize=32)
def derive_rsa_pem(seed32: bytes, bits: int = 2048) -> str:
    """An RSA private key PEM that is a pure function of `seed32` (cached: the search is slow)."""
    e = 65537
    p = _derive_prime(seed32, b"p", bits // 2, e)
    q = _derive_prime(seed32, b"q", bits // 2, e)
    if p == q:  # cannot happen for distinct hash outputs, but a key with p == q is no key
        raise ValueError("derived RSA primes coincide")
    if p < q:
        p, q = q, p
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, p * q),
    )
    return _private_pem(numbers.private_key())
