"""HTTP Basic checks remembered briefly in process memory, so a script pays one scrypt a minute,
not one per request (~86 ms each).

An entry is keyed by a keyed hash (HMAC with the app's secret) of the login and password, so
the memory holds neither; it remembers the user id and the password hash's fingerprint
(``Account.password_tag``). Each request still reads the account (``login.active_account``):
a role or scope change shows at once, a deactivated user is refused, and a password change
no longer matches the fingerprint, which drops the entry. Wrong credentials are never
remembered (each costs a real check, behind the throttle).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

REMEMBER_SECONDS = 60.0
MAX_ENTRIES = 1024


@dataclass(frozen=True)
class Remembered:
    user_id: int
    password_tag: str
    until: float


class CredentialCache:
    """A small thread-safe map of recently verified credentials, oldest dropped first."""

    def __init__(
        self,
        secret: bytes,
        *,
        seconds: float = REMEMBER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = secret
        self._seconds = seconds
        self._clock = clock
        self._entries: OrderedDict[bytes, Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, login: str, password: str) -> bytes:
        typed = f"{login.strip().lower()}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, typed, hashlib.sha256).digest()

    def get(self, login: str, password: str) -> Remembered | None:
        """The entry for these credentials while it is fresh."""
        key = self._key(login, password)
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found.until <= self._clock():
                del self._entries[key]
                return None
            return found

    def put(self, login: str, password: str, user_id: int, password_tag: str) -> None:
        key = self._key(login, password)
        with self._lock:
            self._entries[key] = Remembered(user_id, password_tag, self._clock() + self._seconds)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def drop(self, login: str, password: str) -> None:
        with self._lock:
            self._entries.pop(self._key(login, password), None)
