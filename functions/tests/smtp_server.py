"""A real SMTP server for the SMTP mailer's tests (aiosmtpd), on 127.0.0.1.

Usage: smtp_server.py SPOOL_DIR

Generates a throwaway CA and a certificate for 127.0.0.1 signed by it, then listens on three free
ports: STARTTLS with AUTH required, implicit TLS with AUTH required, and plain without AUTH (the
loopback-only "none" security). Prints one JSON line (the ports and the CA's PEM file) and serves
until its standard input closes (the test process ended).

Each mail received becomes SPOOL_DIR/<n>.json: envelope sender and recipients, the client's
address and port (one connection reused → one port), whether it came over TLS, who authenticated,
and the message itself (as text, and its exact bytes in base64 for checks such as DKIM's). Recipients starting with `refuse` get 550; a recipient starting with
`drop` has the connection closed the first time it is given, and is accepted afterwards.
"""

import asyncio
import base64
import datetime
import json
import os
import socket
import ssl
import sys
import tempfile

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import ipaddress

USER, PASSWORD = b"cpts", b"mot-de-passe-de-test"


def certificates(folder):
    """A CA, and a leaf for 127.0.0.1 it signs; returns (ca.pem, leaf.pem, leaf.key)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA des tests SMTP")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = [os.path.join(folder, n) for n in ("ca.pem", "leaf.pem", "leaf.key")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(leaf.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return paths


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER
        and auth_data.password == PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


class Handler:
    def __init__(self, spool, name):
        self.spool = spool
        self.name = name
        self.dropped = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if address.startswith("drop") and address not in self.dropped:
            self.dropped.add(address)
            server.transport.close()
            return "421 4.4.2 connection dropped"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        number = len(os.listdir(self.spool))
        record = {
            "server": self.name,
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "peer": list(session.peer),
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            "user": session.auth_data.login.decode() if session.authenticated else None,
            "message": envelope.content.decode("utf-8", "replace"),
            "raw": base64.b64encode(envelope.original_content or envelope.content).decode(),
        }
        partial = os.path.join(self.spool, ".%d.tmp" % number)
        with open(partial, "w") as f:
            json.dump(record, f)
        os.rename(partial, os.path.join(self.spool, "%d-%s.json" % (number, os.getpid())))
        return "250 Message accepted"


def main():
    spool = sys.argv[1]
    os.makedirs(spool, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="smtp-tls-")
    ca, leaf, key = certificates(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(leaf, key)
    auth = dict(authenticator=authenticator, auth_required=True, auth_require_tls=True)
    ports = {"starttls": free_port(), "tls": free_port(), "plain": free_port()}
    controllers = [
        Controller(
            Handler(spool, "starttls"),
            hostname="127.0.0.1",
            port=ports["starttls"],
            server_hostname="127.0.0.1",
            tls_context=context,
            require_starttls=True,
            **auth,
        ),
        Controller(
            Handler(spool, "tls"),
            hostname="127.0.0.1",
            port=ports["tls"],
            server_hostname="127.0.0.1",
            ssl_context=context,
            # aiosmtpd only knows of its own STARTTLS: this connection is TLS from the start.
            **dict(auth, auth_require_tls=False),
        ),
        Controller(Handler(spool, "plain"), hostname="127.0.0.1", port=ports["plain"]),
    ]
    for c in controllers:
        c.start()
    print(json.dumps({"ports": ports, "ca": ca}), flush=True)
    sys.stdin.read()
    for c in controllers:
        c.stop()


if __name__ == "__main__":
    main()
