"""The page's secrets and guards: secret key, operator password, CSRF tokens, login rate limit, kiosk trust.

Why each is shaped like this:

* **Secret key on disk, generated once.** Flask signs the session cookie with it. It is made on first boot in
  ``<data>/instance/secret_key`` (mode 0600), outside the checkout, so it is never committed and survives
  restarts (operators stay logged in across a service restart).
* **Password set at first run.** There is no default password to forget to change. Until one is set, the
  setup form is open only to the booth itself (loopback) or to whoever has the one-time setup code that was
  written to the log, so a stranger on the studio Wi-Fi cannot claim the booth first. Hashing is werkzeug's
  (scrypt/pbkdf2 with a salt), stored in ``<data>/instance/operator.json`` (0600).
* **CSRF token per browser session**, checked on every state-changing request (form field ``csrf_token`` or
  header ``X-CSRF-Token``) before the view runs, so a refused request changes nothing.
* **Login rate limit per client address** (failures in a sliding window), in memory: a restart clears it,
  which is fine for a booth whose operator is standing next to it.
* **Kiosk trust.** The kiosk page is public, but the current sitter's gallery token is a secret: only the
  booth's own screen (``web.kiosk_addresses``, loopback by default) and a logged-in operator get it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from booth.atomic import write_atomic

log = logging.getLogger(__name__)

SECRET_FILE = "secret_key"
OPERATOR_FILE = "operator.json"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MIN_PASSWORD = 8


def instance_dir(data_dir: Path) -> Path:
    """``<data>/instance``, created private (0700)."""
    path = Path(data_dir) / "instance"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def load_secret_key(folder: Path) -> bytes:
    """The Flask secret key from ``folder``; generated (32 random bytes, file mode 0600) on first boot."""
    path = folder / SECRET_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    if len(key) >= 32:
        return key
    key = secrets.token_bytes(32)
    write_atomic(path, key, mode=0o600)  # 0600 from the start: never readable by others, even briefly
    log.info("generated a new secret key in %s", path)
    return key


class PasswordStore:
    """The operator's password hash in ``<instance>/operator.json``; None until first-run setup."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / OPERATOR_FILE
        self._lock = threading.Lock()

    def _hash(self) -> str | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.error("%s is unreadable; delete it and set the operator password again", self.path)
            return None
        value = data.get("password_hash") if isinstance(data, dict) else None
        return value if isinstance(value, str) and value else None

    @property
    def is_set(self) -> bool:
        return self._hash() is not None

    def set(self, password: str) -> None:
        data = json.dumps({"password_hash": generate_password_hash(password)}).encode()
        write_atomic(self.path, data, mode=0o600)  # a hash, but still nobody else's to read or crack
        log.info("operator password set")

    def check(self, password: str) -> bool:
        stored = self._hash()
        return stored is not None and check_password_hash(stored, password)

    def set_first(self, password: str) -> bool:
        """Set the password only if none is set yet (two setup forms racing: the first wins)."""
        with self._lock:
            if self.is_set:
                return False
            self.set(password)
            return True


def password_problem(password: str, confirm: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > 256:
        return "Use at most 256 characters."
    if password != confirm:
        return "The two passwords differ."
    return None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class LoginLimiter:
    """At most ``attempts`` failed logins per client address in any ``window`` seconds."""

    def __init__(self, attempts: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def retry_after(self, address: str) -> float:
        """Seconds until ``address`` may try again; 0 when it may try now."""
        with self._lock:
            now = self.clock()
            times = self._recent(address, now)
            if len(times) < self.attempts:
                return 0.0
            return max(0.0, self.window - (now - times[0]))

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address, self.clock()).append(self.clock())
            if len(self._failures) > 10_000:  # a flood of addresses must not grow memory without bound
                self._failures = {a: t for a, t in self._failures.items() if t}

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def address_in(address: str | None, allowed: Iterable[str]) -> bool:
    """True if ``address`` is one of ``allowed`` (addresses or networks such as 192.168.4.0/24)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            log.warning("web.kiosk_addresses: %r is not an address or network; ignored", entry)
    return False
