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
* **Logins kept on the booth, not only in the cookie.** The signed cookie alone cannot be taken back: a
  copy of it would work until it expires, logout or not. So each login gets a random id, the cookie carries
  it, and ``<data>/instance/logins.json`` (0600) holds the ids still valid (as SHA-256 digests, so the file
  alone is no cookie) with their expiry. Every operator request looks its id up; logout deletes it. The
  file also records a fingerprint of the password hash it was written under, so a new password (set by any
  means: a form, or the file deleted and set up again) ends every login at once. It is a file, not memory,
  for the same reason the secret key is: operators stay logged in across a service restart, and an id ended
  before the restart stays ended after it.
* **Login rate limit per client address** (failures in a sliding window), in memory: a restart clears it,
  which is fine for a booth whose operator is standing next to it.
* **Kiosk trust.** The kiosk page is public, but the current sitter's gallery token is a secret: only the
  booth's own screen (``web.kiosk_addresses``, loopback by default) and a logged-in operator get it.
* **Trust by address only under the booth's own name.** A page from ``attacker.example`` whose name the
  attacker then points at 127.0.0.1 (DNS rebinding) makes the sitter's browser on the booth send requests
  from loopback, with ``Host: attacker.example``. So the address counts (first-run setup without the code,
  kiosk trust) only when the Host is one of the booth's: localhost, its IP literals, the machine's host
  name (and ``<name>.local``) and the host of ``web.public_url`` (:func:`is_own_host`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
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
LOGINS_FILE = "logins.json"
#: Logins kept at most; past it the oldest ends (a booth has one operator, with a phone and a laptop).
MAX_LOGINS = 50
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

    def fingerprint(self) -> str | None:
        """A digest of the stored hash: it changes with every new password (the salt is new each time)."""
        stored = self._hash()
        return None if stored is None else _digest(stored)

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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class LoginStore:
    """The operator logins still valid, in ``<instance>/logins.json`` (0600): see the module docstring.

    ``hours`` is how long a login lasts (``web.login_hours``); ``clock`` is wall-clock seconds, because the
    expiry must mean the same after a restart.
    """

    def __init__(
        self, folder: Path, passwords: PasswordStore, hours: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = folder / LOGINS_FILE
        self.passwords = passwords
        self.seconds = hours * 3600.0
        self.clock = clock
        self._lock = threading.Lock()
        self._password, self._logins = self._load()

    def _load(self) -> tuple[str | None, dict[str, float]]:
        try:
            data = json.loads(self.path.read_text())
            logins = {str(k): float(v) for k, v in data["logins"].items()}
            return (str(data["password"]) if data["password"] else None), logins
        except FileNotFoundError:
            return None, {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            log.error("%s is unreadable; every operator must log in again", self.path)
            return None, {}

    def _save(self) -> None:
        now = self.clock()
        live = [(k, t) for k, t in self._logins.items() if t > now]  # oldest first: insertion order
        self._logins = dict(live[-MAX_LOGINS:])
        data = json.dumps({"password": self._password, "logins": self._logins}).encode()
        write_atomic(self.path, data, mode=0o600)  # digests, but still nobody else's to read

    def begin(self) -> str:
        """A new login under the current password; its id goes into the cookie."""
        login_id = secrets.token_urlsafe(32)
        with self._lock:
            fingerprint = self.passwords.fingerprint()
            if fingerprint != self._password:  # a new password: the logins under the old one are over
                self._password, self._logins = fingerprint, {}
            self._logins[_digest(login_id)] = self.clock() + self.seconds
            self._save()
        return login_id

    def valid(self, login_id: object) -> bool:
        """True if ``login_id`` (from the cookie) is a login not ended, not expired, under this password."""
        if not isinstance(login_id, str) or not login_id:
            return False
        fingerprint = self.passwords.fingerprint()
        with self._lock:
            if fingerprint is None or fingerprint != self._password:
                return False
            expires = self._logins.get(_digest(login_id))
        return expires is not None and expires > self.clock()

    def end(self, login_id: object) -> None:
        """Logout: this login's id stops working at once, wherever a copy of its cookie is."""
        if not isinstance(login_id, str):
            return
        with self._lock:
            if self._logins.pop(_digest(login_id), None) is not None:
                self._save()

    def end_all(self) -> None:
        with self._lock:
            self._logins = {}
            self._save()


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


def host_name(host: str) -> str:
    """The name part of a Host header, lowercased, without port, brackets or a trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8080
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:  # name:port (a bare IPv6 address has more than one colon)
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _is_local_address(address: str) -> bool:
    """True if ``address`` is an IP literal of this machine, now (loopback, or assigned to an interface).

    Asked of the kernel by binding a socket to it, which succeeds only for an address the machine has: no
    list of interfaces to keep up to date when DHCP hands out a new one.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    if ip.is_unspecified or ip.is_multicast:
        return False
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((str(ip), 0))
    except OSError:
        return False
    return True


def is_own_host(host: str, configured: Iterable[str] = ()) -> bool:
    """Is ``host`` (a Host header) one of this booth's names? See "Trust by address" above."""
    name = host_name(host)
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost"):  # browsers resolve these to loopback themselves
        return True
    machine = socket.gethostname().lower().rstrip(".")
    short = machine.split(".", 1)[0]
    names = {machine, short, f"{short}.local", *(host_name(c) for c in configured if c)}
    return name in names or _is_local_address(name)
