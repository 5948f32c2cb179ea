"""API keys: created, listed and revoked by ``timtin keys``, checked by the web app.

A key is ``tt_`` plus 43 URL-safe characters from :func:`secrets.token_urlsafe` (256 random bits).
It is printed once, when it is created; the keys file keeps only its SHA-256 digest, with its
name, scope (``read`` or ``write``; a write key may also read) and creation time.  A fast hash is
the right one here: with 256 random bits nobody can guess a key from its digest, whatever the
hash costs, so a slow password hash (scrypt, bcrypt) would only slow every request down.

The keys file is ``keys.json`` in the index folder, or ``$TIMTIN_KEYS_FILE``.  It is written
atomically (a temporary file in the same folder, fsync, rename) with mode 0600, under an
exclusive ``flock`` so that two ``timtin keys`` commands never lose each other's change.
A presented key is compared with every stored digest by :func:`hmac.compare_digest`, without
stopping at a match, so the answer takes the same time whichever key (if any) matches.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

KEYS_FILE = "keys.json"
KEYS_ENV_VAR = "TIMTIN_KEYS_FILE"
SCOPES = ("read", "write")
KEY_PREFIX = "tt_"
MAX_KEY_CHARS = 200  # longer bearer tokens are not keys (and are not hashed)
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class KeyStoreError(ValueError):
    """A key cannot be created or revoked (duplicate or unknown name, bad name or scope)."""


@dataclass(frozen=True)
class ApiKey:
    """What the keys file holds about one key (never the key itself)."""

    name: str
    scope: str
    created: str  # ISO 8601, UTC
    sha256: str  # hex digest of the key

    def allows(self, scope: str) -> bool:
        """A write key may read; a read key may only read."""
        return self.scope == "write" or scope == "read"


def keys_path(index_dir: str | Path) -> Path:
    """``$TIMTIN_KEYS_FILE`` when set, else ``keys.json`` in the index folder."""
    override = os.environ.get(KEYS_ENV_VAR, "").strip()
    return Path(override) if override else Path(index_dir) / KEYS_FILE


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def read_keys(path: Path) -> list[ApiKey]:
    """The keys in ``path`` ([] when the file does not exist); ValueError when it is damaged."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError(f"{path}: expected an object with a \"keys\" array")
    out = []
    for entry in data["keys"]:
        try:
            key = ApiKey(str(entry["name"]), str(entry["scope"]), str(entry["created"]), str(entry["sha256"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: a key entry lacks {exc}") from None
        if key.scope not in SCOPES or not re.fullmatch(r"[0-9a-f]{64}", key.sha256):
            raise ValueError(f"{path}: key {key.name!r} has an invalid scope or digest")
        out.append(key)
    return out


def _write_keys(path: Path, keys: list[ApiKey]) -> None:
    """Replace the keys file atomically, readable by its owner only."""
    text = json.dumps({"version": 1, "keys": [asdict(k) for k in keys]}, ensure_ascii=False, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<keys file>.lock`` (one ``timtin keys`` change at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def create_key(path: Path, name: str, scope: str = "read") -> str:
    """Store a new key named ``name`` and return it (the only time it is seen in clear)."""
    if not NAME_RE.fullmatch(name):
        raise KeyStoreError(f"invalid key name {name!r}: 1-64 letters, digits, '.', '_' or '-', "
                        "starting with a letter or digit")
    if scope not in SCOPES:
        raise KeyStoreError(f"invalid scope {scope!r}: one of {', '.join(SCOPES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with _locked(path):
        keys = read_keys(path)
        if any(k.name == name for k in keys):
            raise KeyStoreError(f"a key named {name!r} exists already; revoke it first or choose another name")
        created = datetime.now(UTC).replace(microsecond=0).isoformat()
        keys.append(ApiKey(name, scope, created, digest(key)))
        _write_keys(path, keys)
    return key


def revoke_key(path: Path, name: str) -> None:
    """Remove the key named ``name`` (KeyStoreError when there is none)."""
    with _locked(path):
        keys = read_keys(path)
        kept = [k for k in keys if k.name != name]
        if len(kept) == len(keys):
            raise KeyStoreError(f"no key named {name!r}")
        _write_keys(path, kept)


def find_key(keys: list[ApiKey], presented: str) -> ApiKey | None:
    """The stored key whose digest is that of ``presented``, compared in constant time."""
    if not presented or len(presented) > MAX_KEY_CHARS:
        return None
    wanted = digest(presented).encode()
    found = None
    for key in keys:  # no early exit: the time does not depend on which key matches
        if hmac.compare_digest(wanted, key.sha256.encode()):
            found = key
    return found


class KeyRing:
    """The keys of one keys file, re-read when the file changes (a revocation applies at once)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: list[ApiKey] = []

    def keys(self) -> list[ApiKey]:
        """The current keys; ValueError when the file is damaged, [] when there is none."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._keys = read_keys(self.path)
                self._stamp = stamp
            return self._keys

    def check(self, presented: str) -> ApiKey | None:
        return find_key(self.keys(), presented)
