"""API tokens of a server: created with scopes, stored hashed, verified, revoked.

A token reads ``rh_<id>_<secret>``; the database keeps the id, a name, the scopes and the sha256
of the secret (the secret is 256 random bits, so a fast hash is enough), never the token itself.
Scopes nest: ``admin`` includes ``write``, which includes ``read``.

>>> import tempfile
>>> from runhistory.store.sql.database import Database
>>> from runhistory.store.sql.migrate import ensure_schema
>>> db = Database.open(f"sqlite:///{tempfile.mkdtemp()}/tokens.db")
>>> ensure_schema(db)
>>> tokens = TokenStore(db)
>>> token, record = tokens.create("ci", ["write"])
>>> tokens.verify(token).allows("read")
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence

from runhistory.errors import AuthenticationError, InvalidValueError, NotFoundError
from runhistory.store.sql.database import Cursor, Database

SCOPES = ("read", "write", "admin")
_TOKEN = re.compile(r"^rh_([0-9a-f]{32})_([A-Za-z0-9_\-]{20,100})$")


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    scopes: tuple[str, ...]
    created: float
    revoked: float | None

    def allows(self, scope: str) -> bool:
        """Whether this token may do what ``scope`` needs (scopes nest)."""
        rank = SCOPES.index(scope)
        return self.revoked is None and any(SCOPES.index(s) >= rank for s in self.scopes)


class TokenStore:
    """The ``api_tokens`` table of a server's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, scopes: Sequence[str]) -> tuple[str, TokenRecord]:
        """A new token (shown once: only its hash is kept) and its record."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if not scopes or unknown:
            raise InvalidValueError(
                f"scopes {list(scopes)!r} are not a non-empty subset of {list(SCOPES)}"
            )
        if not name or len(name) > 255:
            raise InvalidValueError("name the token with 1 to 255 characters, e.g. 'ci'")
        token_id = secrets.token_hex(16)
        secret = secrets.token_urlsafe(32)
        record = TokenRecord(token_id, name, tuple(sorted(set(scopes))), time.time(), None)
        self.db.write(
            lambda c: c.execute(
                "INSERT INTO api_tokens (id, name, secret_sha256, scopes, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_id, name, _sha256(secret), ",".join(record.scopes), record.created),
            )
        )
        return f"rh_{token_id}_{secret}", record

    def list(self) -> list[TokenRecord]:
        rows = self.db.read(
            lambda c: c.execute(
                "SELECT id, name, scopes, created, revoked FROM api_tokens ORDER BY created"
            ).fetchall()
        )
        return [_record(row) for row in rows]

    def revoke(self, token_id: str) -> None:
        def revoke(cursor: Cursor) -> None:
            changed = cursor.execute(
                "UPDATE api_tokens SET revoked = COALESCE(revoked, ?) WHERE id = ? RETURNING id",
                (time.time(), token_id),
            ).fetchall()
            if not changed:
                raise NotFoundError(f"no token with id {token_id!r}; 'runhistory token list'")

        self.db.write(revoke)

    def verify(self, token: str) -> TokenRecord:
        """The record of a valid, unrevoked ``token``; ``AuthenticationError`` otherwise."""
        match = _TOKEN.match(token)
        if match is None:
            raise AuthenticationError("the bearer token is not a runhistory token (rh_...)")
        token_id, secret = match.groups()
        row = self.db.read(
            lambda c: c.execute(
                "SELECT id, name, scopes, created, revoked, secret_sha256 FROM api_tokens "
                "WHERE id = ?",
                (token_id,),
            ).fetchone()
        )
        if row is None or not hmac.compare_digest(row[5], _sha256(secret)):
            raise AuthenticationError(
                "the bearer token is unknown; create one with 'runhistory token create'"
            )
        record = _record(row[:5])
        if record.revoked is not None:
            raise AuthenticationError(f"token {record.id!r} ({record.name}) was revoked")
        return record


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _record(row: Sequence[object]) -> TokenRecord:
    token_id, name, scopes, created, revoked = row
    return TokenRecord(
        str(token_id),
        str(name),
        tuple(str(scopes).split(",")),
        float(created),  # type: ignore[arg-type]
        None if revoked is None else float(revoked),  # type: ignore[arg-type]
    )
