"""A Secret never prints, and credentials show only a key prefix."""

from __future__ import annotations

import json
import pickle

import pytest

from tradeguard.errors import CredentialsError
from tradeguard.keys.credentials import ApiCredentials, Secret

VALUE = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # tradeguard: allow


def test_secret_never_shows_its_value() -> None:
    secret = Secret(VALUE)
    for shown in (str(secret), repr(secret), f"{secret}", f"{secret!r}", "%s" % secret):  # noqa: UP031
        assert VALUE not in shown
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        json.dumps(secret)
    assert secret.reveal() == VALUE


def test_credentials_repr_shows_only_a_prefix() -> None:
    creds = ApiCredentials(
        "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",  # tradeguard: allow
        Secret(VALUE),
    )
    assert "vmPUZE" in repr(creds)
    assert "vmPUZE6mv9" not in repr(creds) and VALUE not in repr(creds)


def test_signs_the_binance_rest_vector() -> None:
    creds = ApiCredentials("key", Secret(VALUE))
    payload = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    assert creds.sign(payload) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_asymmetric_kind_needs_a_pem() -> None:
    with pytest.raises(CredentialsError, match="PEM private key"):
        ApiCredentials("key", Secret("not-a-pem"), kind="ED25519")
