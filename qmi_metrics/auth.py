"""The administration password fallback: a salted PBKDF2 hash in secrets, compared in constant time,
with failed attempts rate-limited. (OIDC login is Streamlit's st.login, configured in secrets.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass, field

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 390_000
MAX_FAILURES = 5
WINDOW_SECONDS = 300  # MAX_FAILURES within this window lock the form for LOCKOUT_SECONDS
LOCKOUT_SECONDS = 300


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
class AttemptLimiter:
    """Failed attempts per key (a session, or "all" for the whole server), in a sliding window."""

    max_failures: int = MAX_FAILURES
    window_seconds: float = WINDOW_SECONDS
    lockout_seconds: float = LOCKOUT_SECONDS
    _failures: dict = field(default_factory=dict)
    _locked_until: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seconds_locked(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            return max(0.0, self._locked_until.get(key, 0.0) - now)

    def record_failure(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window_seconds] + [now]
            self._failures[key] = recent
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout_seconds
                self._failures[key] = []

    def record_success(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
