"""The administration password fallback: a salted PBKDF2 hash in secrets, compared in constant time,
with failed attempts slowed down per client and per account. (OIDC login is Streamlit's st.login, configured in secrets.)"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 390_000
FREE_FAILURES = 3          # wrong passwords a client may type before it has to wait
BASE_DELAY = 30.0          # seconds after the first failure past the free ones, doubled at each next one
MAX_DELAY = 3600.0
ACCOUNT_FAILURES = 20      # failures on one account within ACCOUNT_WINDOW, from any clients…
ACCOUNT_WINDOW = 900.0
ACCOUNT_DELAY = 900.0      # …make every client that has failed wait at least this long
FORGET_AFTER = 86400.0     # a client's failures are forgotten a day after its last one

_LOG = logging.getLogger("qmi")


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """'pbkdf2_sha256$<iterations>$<salt>$<hash>', to store as admin.password_hash in secrets.toml."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return "$".join([ALGORITHM, str(iterations), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash; any malformed hash is a refusal."""
    try:
        algorithm, iterations, salt, expected = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError, AttributeError):
        return False


@dataclass
class SignInThrottle:
    """Failed password attempts, per client and per account, kept in a JSON file across restarts.

    A client (its address) gets FREE_FAILURES tries, then waits BASE_DELAY seconds, doubling at each new
    failure up to MAX_DELAY. When an account collects ACCOUNT_FAILURES failures within ACCOUNT_WINDOW from
    any clients, every client that has failed too waits at least ACCOUNT_DELAY. A client that has not
    failed is never made to wait: nobody can lock the administrator out. A success clears the client.
    Clients are stored as salted hashes (an address is personal data), and the file is shared by the
    replicas of a server (written whole, atomically, under a file lock)."""

    path: Path | None = None
    free_failures: int = FREE_FAILURES
    base_delay: float = BASE_DELAY
    max_delay: float = MAX_DELAY
    account_failures: int = ACCOUNT_FAILURES
    account_window: float = ACCOUNT_WINDOW
    account_delay: float = ACCOUNT_DELAY
    forget_after: float = FORGET_AFTER
    _memory: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the rule --
    def seconds_to_wait(self, client: str, account: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self._state() as state:
            return self._wait(state, self._key(state, client), account, now)

    def record_failure(self, client: str, account: str, now: float | None = None) -> float:
        """Count a wrong password; returns the wait it now imposes on this client."""
        now = time.time() if now is None else now
        with self._state(write=True) as state:
            state["clients"] = {k: v for k, v in state["clients"].items() if now - v["last"] <= self.forget_after}
            key = self._key(state, client)
            record = state["clients"].get(key)
            if record is None or now - record["last"] > self.forget_after:
                record = {"failures": 0, "last": now}
            record["failures"] += 1
            record["last"] = now
            state["clients"][key] = record
            recent = [t for t in state["accounts"].get(account, []) if now - t < self.account_window]
            state["accounts"][account] = (recent + [now])[-1000:]
            return self._wait(state, key, account, now)

    def record_success(self, client: str, account: str) -> None:
        with self._state(write=True) as state:
            state["clients"].pop(self._key(state, client), None)

    def _wait(self, state: dict, key: str, account: str, now: float) -> float:
        record = state["clients"].get(key)
        if record is None or record["failures"] == 0 or now - record["last"] > self.forget_after:
            return 0.0
        until = record["last"]
        over = record["failures"] - self.free_failures
        if over >= 0:
            until += min(self.base_delay * 2 ** min(over, 30), self.max_delay)
        account_recent = [t for t in state["accounts"].get(account, []) if now - t < self.account_window]
        if len(account_recent) >= self.account_failures:
            until = max(until, record["last"] + self.account_delay)
        return max(0.0, until - now)

    # -- the state, in memory or in the file --
    @staticmethod
    def _key(state: dict, client: str) -> str:
        return hashlib.sha256((state["salt"] + "|" + client).encode("utf-8")).hexdigest()[:32]

    @contextlib.contextmanager
    def _state(self, write: bool = False):
        with self._lock:
            handle = self._open_lock()
            if handle is None:
                self._memory = self._memory or _empty_state()
                yield self._memory
                return
            try:
                state = _read_state(self.path)
                yield state
                if write:
                    try:
                        _write_state(self.path, state)
                    except OSError as error:
                        self._memory = state
                        self._in_memory_only(error)
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                handle.close()

    def _open_lock(self):
        """The file lock shared with the other replicas, or None when counting in memory."""
        if self.path is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path.with_name(self.path.name + ".lock"), "a")
        except OSError as error:
            self._in_memory_only(error)
            return None
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return handle

    def _in_memory_only(self, error: OSError) -> None:
        # e.g. a read-only folder: sign-in keeps working, the counts just do not survive a restart.
        _LOG.warning("tentatives de connexion gardées en mémoire seulement (%s) / sign-in attempts kept in memory "
                     "only: %s", self.path, error)
        self.path = None


def _empty_state() -> dict:
    return {"salt": base64.b64encode(os.urandom(12)).decode(), "clients": {}, "accounts": {}}


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(state, dict) and isinstance(state.get("salt"), str) \
                and isinstance(state.get("clients"), dict) and isinstance(state.get("accounts"), dict):
            return state
    except FileNotFoundError:
        pass
    except (ValueError, UnicodeDecodeError):  # a damaged file: start again rather than refuse every sign-in
        _LOG.warning("fichier des tentatives illisible, remis à zéro / unreadable attempts file, reset: %s", path)
    return _empty_state()


def _write_state(path: Path, state: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state), encoding="utf-8")
    os.replace(temporary, path)


def throttle_path(db_path) -> Path:
    """Beside the audit log of the database's imports."""
    return Path(db_path).parent / "signin_attempts.json"
