"""DKIM for the SMTP mailer's tests: a throwaway RSA key, and the check a receiver makes (PyPI
dkimpy), with the DNS answer given here — no query leaves the machine.

Usage:
  dkim_check.py keys DIR
      Writes one new RSA 2048 key twice, DIR/pkcs1.pem (BEGIN RSA PRIVATE KEY) and DIR/pkcs8.pem
      (BEGIN PRIVATE KEY), owner-only, and prints the p= value of its DNS record (the public key,
      DER SubjectPublicKeyInfo in base64, as `openssl pkey -pubout -outform DER | base64` gives).
  dkim_check.py verify SELECTOR DOMAIN P
      Reads a message on standard input; exit 0 when its DKIM-Signature verifies against the record
      "v=DKIM1; k=rsa; p=P" published at SELECTOR._domainkey.DOMAIN (any other name: no record),
      1 when it does not. Prints what dkimpy said on standard error.

Exit 2 when dkimpy or cryptography is missing: the test fails then, it never skips.
"""

import base64
import logging
import os
import sys

try:
    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError as e:
    print("dkim_check.py: %s (pip install dkimpy cryptography, see scripts/test.sh)" % e,
          file=sys.stderr)
    sys.exit(2)


def keys(folder):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for name, form in (("pkcs1.pem", serialization.PrivateFormat.TraditionalOpenSSL),
                       ("pkcs8.pem", serialization.PrivateFormat.PKCS8)):
        path = os.path.join(folder, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, form,
                                      serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    print(base64.b64encode(public).decode())


def verify(selector, domain, p):
    expected = "%s._domainkey.%s." % (selector, domain)
    asked = []

    def dns(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        asked.append(name)
        return ("v=DKIM1; k=rsa; p=%s" % p).encode() if name == expected else None

    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="dkimpy: %(message)s")
    message = sys.stdin.buffer.read()
    ok = dkim.verify(message, logger=logging.getLogger("dkim"), dnsfunc=dns)
    print("asked %s: %s" % (asked, "valid" if ok else "INVALID"), file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["keys"] and len(sys.argv) == 3:
        keys(sys.argv[2])
    elif sys.argv[1:2] == ["verify"] and len(sys.argv) == 5:
        verify(*sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
