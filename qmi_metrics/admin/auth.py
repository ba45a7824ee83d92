"""The administration password fallback: an argon2id hash in secrets (PBKDF2 hashes of earlier versions still
verify), with failed attempts slowed down per client and per account. (OIDC login is Streamlit's st.login, configured
in secrets.)"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import argon2
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MovingWindowSupport, Storage
from limits.strategies import MovingWindowRateLimiter

PBKDF2 = "pbkdf2_sha256"   # hashes made before argon2id: 'pbkdf2_sha256$<iterations>$<salt>$<hash>'
FREE_FAILURES = 3          # wrong passwords a client may type before it has to wait
BASE_DELAY = 30.0          # seconds after the first failure past the free ones, doubled at each next one
MAX_DELAY = 3600.0
ACCOUNT_FAILURES = 20      # failures on one account within ACCOUNT_WINDOW, from any clients…
ACCOUNT_WINDOW = 900.0
ACCOUNT_DELAY = 900.0      # …make every client that has failed wait at least this long
FORGET_AFTER = 86400.0     # a client's failures are forgotten a day after its last one

_LOG = logging.getLogger("qmi")
_HASHER = argon2.PasswordHasher()  # argon2id with the parameters RFC 9106 recommends when memory is limited


def hash_password(password: str) -> str:
    """'$argon2id$v=19$m=…' (salted, parameters included), to store as admin.password_hash in secrets.toml."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash, argon2id or PBKDF2; any malformed hash is a refusal."""
    if not isinstance(stored, str):
        return False
    if stored.startswith(PBKDF2 + "$"):
        return _verify_pbkdf2(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


@functools.cache
def decoy_hash() -> str:
    """A hash of a password nobody knows: checked for an account that does not exist, so that a wrong account name
    takes as long to refuse as a wrong password and names cannot be guessed by timing."""
    return hash_password(base64.b64encode(os.urandom(24)).decode())


def needs_rehash(stored: str) -> bool:
    """True when the stored hash is not argon2id with today's parameters: PBKDF2, a weaker argon2, or malformed."""
    if not isinstance(stored, str):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except argon2.exceptions.InvalidHashError:
        return True


def _verify_pbkdf2(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, expected = stored.split("$")
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


@dataclass
class SignInThrottle:
    """Failed password attempts, per client and per account, kept in a JSON file across restarts.

    A client (its address) gets FREE_FAILURES tries, then waits BASE_DELAY seconds, doubling at each new
    failure up to MAX_DELAY. When an account collects ACCOUNT_FAILURES failures within ACCOUNT_WINDOW from
    any clients, every client that has failed too waits at least ACCOUNT_DELAY. A client that has not
    failed is never made to wait: nobody can lock the administrator out. A success clears the client.
    Clients are stored as salted hashes (an address is personal data), and the file is shared by the
    replicas of a server (written whole, atomically, under a file lock).

    The account's window is a limits moving window (a StateWindows storage over the same file). The
    per-client rule is not: limits' windows hold a fixed number of hits for a fixed time, while a client's
    wait doubles at each failure and its count lasts FORGET_AFTER from its last failure, so it is the few
    lines of _wait over a count and a time."""

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
            record = state["clients"].setdefault(key, {"failures": 0})
            record["failures"] += 1
            record["last"] = now
            # limits keeps a failure only while the window has room: a full window stays full until its oldest
            # failure is account_window old, and then the next failure fills it again.
            self._windows(state, now).hit(self._account_limit(), account)
            return self._wait(state, key, account, now)

    def record_success(self, client: str, account: str) -> None:
        with self._state(write=True) as state:
            state["clients"].pop(self._key(state, client), None)

    def _wait(self, state: dict, key: str, account: str, now: float) -> float:
        record = state["clients"].get(key)
        if record is None or now - record["last"] > self.forget_after:
            return 0.0
        until = record["last"]
        over = record["failures"] - self.free_failures
        if over >= 0:
            until += min(self.base_delay * 2 ** min(over, 30), self.max_delay)
        if not self._windows(state, now).test(self._account_limit(), account):  # the account's window is full
            until = max(until, record["last"] + self.account_delay)
        return max(0.0, until - now)

    def _account_limit(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.account_failures, int(self.account_window), namespace="signin-account")

    @staticmethod
    def _windows(state: dict, now: float) -> MovingWindowRateLimiter:
        return MovingWindowRateLimiter(StateWindows(state["windows"], now))

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
    return {"salt": base64.b64encode(os.urandom(12)).decode(), "clients": {}, "windows": {}}


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(state, dict) and isinstance(state.get("salt"), str) and isinstance(state.get("clients"), dict):
            windows = state.get("windows")  # absent from files written before the limits windows: start empty
            windows = windows if isinstance(windows, dict) else {}
            return {"salt": state["salt"], "clients": state["clients"], "windows": windows}
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


class StateWindows(Storage, MovingWindowSupport):
    """A limits storage for moving windows over the "windows" part of the throttle's state, so that they are
    read and written with the rest of the JSON file under its lock (limits has no file storage; its own keep
    the counts in memory or in a server). Its clock is the time of the attempt the throttle is given, where
    limits' storages read time.time(). Fixed windows are not offered: the throttle uses none."""

    STORAGE_SCHEME = None  # made by SignInThrottle around its state, never from a URI
    base_exceptions = (TypeError, ValueError)

    def __init__(self, windows: dict[str, list[float]], now: float):
        super().__init__()
        self.windows, self.now = windows, now

    def _recent(self, key: str, expiry: int) -> list[float]:
        """The entries still in the window, newest first."""
        return [t for t in self.windows.get(key, []) if t > self.now - expiry]

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        recent = self._recent(key, expiry)
        if len(recent) + amount > limit:
            return False
        self.windows[key] = [self.now] * amount + recent  # older entries leave the file
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        recent = self._recent(key, expiry)
        return (recent[-1] if recent else self.now), len(recent)

    def clear(self, key: str) -> None:
        self.windows.pop(key, None)

    def reset(self) -> int | None:
        count = len(self.windows)
        self.windows.clear()
        return count

    def check(self) -> bool:
        return True

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("StateWindows: moving windows only")

    def get(self, key: str) -> int:
        raise NotImplementedError("StateWindows: moving windows only")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("StateWindows: moving windows only")
