"""Who may write: one bearer token, compared in constant time.

Reads are open. Every write (SPARQL Update, Graph Store PUT/POST/DELETE)
needs `Authorization: Bearer <token>`, where the token is
`settings.write_token` (CLAIMGRAPH_WRITE_TOKEN) or the first line of the file
`settings.write_token_file` names (CLAIMGRAPH_WRITE_TOKEN_FILE; read on every
write, so the token can be rotated without a restart; refused when group or
others may read it: config.load_write_token). The token stays a SecretStr
until the comparison.

- no token configured      -> 403: this server takes no writes
- header missing or wrong  -> 401 with `WWW-Authenticate: Bearer`

HTTP Basic with the token as the password (any user name) is accepted too,
for clients that only speak Basic (`curl -u x:TOKEN`, benchmark tools).
"""
from __future__ import annotations

import base64
import binascii
import hmac
from pydantic import SecretStr

from ..config import Settings, load_write_token
from .answers import ProtocolError

REALM = 'Bearer realm="ClaimGraph"'


def configured_token(settings: Settings) -> SecretStr | None:
    """The write token, or None when writes are off. A token file that cannot be read, is
    empty or is open to others counts as no token (the 403 says why), never as an empty token."""
    return load_write_token(settings)[0]


def writes_enabled(settings: Settings) -> bool:
    return configured_token(settings) is not None


def presented_token(authorization: str | None) -> str | None:
    """The credential in an Authorization header: a Bearer token, or the password of Basic."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer":
        return value or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def check_write_access(authorization: str | None, settings: Settings, what: str = "Writes") -> None:
    """Raise ProtocolError 403 (writes off) or 401 (no or wrong credentials); return when allowed."""
    token, hint = load_write_token(settings)
    if token is None:
        raise ProtocolError(403, f"{what} are not enabled on this server: no write token is configured ({hint}).")
    given = presented_token(authorization)
    if given is None:
        raise ProtocolError(401, f"{what} need a bearer token: send 'Authorization: Bearer <token>'.",
                            {"WWW-Authenticate": REALM})
    if not hmac.compare_digest(given.encode("utf-8"), token.get_secret_value().encode("utf-8")):
        raise ProtocolError(401, "The bearer token is not valid.",
                            {"WWW-Authenticate": REALM + ', error="invalid_token"'})
