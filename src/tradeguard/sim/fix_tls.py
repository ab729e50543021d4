"""The FIX acceptor's TLS: a throwaway self-signed certificate made when the simulator starts.

Binance's FIX endpoints are TLS only and the client must verify the certificate against the
host name it sent as SNI; the simulator does the same on loopback, with a certificate for
`localhost` and 127.0.0.1 that lives as long as the process. Its PEM is in the simulator's
start line (`fix_ca_pem`) for clients to trust; the key never leaves the process.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST_NAME = "localhost"


@dataclass(frozen=True, slots=True)
class Certificate:
    context: ssl.SSLContext  # the server side, ready for asyncio.start_server
    pem: str  # the certificate alone, for a client to trust


def throwaway(now_ms: int) -> Certificate:
    """A fresh P-256 key and a certificate for localhost valid a day either side of `now_ms`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tradeguard simulator FIX")])
    now = datetime.datetime.fromtimestamp(now_ms / 1000, datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # load_cert_chain reads files only: a private directory, removed at once
    with tempfile.TemporaryDirectory(prefix="tradeguard-fix-") as folder:
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert_path, "wb") as out:
            out.write(cert_pem)
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
            out.write(key_pem)
        context.load_cert_chain(cert_path, key_path)
    return Certificate(context, cert_pem.decode("ascii"))
