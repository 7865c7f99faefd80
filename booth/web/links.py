"""Gallery links and their QR codes, made on the booth (no internet, no QR service).

Why the address needs thought: the kiosk screen usually runs on the booth itself and asks for
``http://127.0.0.1:8080``, but the QR code is read by the sitter's phone, for which 127.0.0.1 is the phone.
And the link must name an address the server really listens on: a booth started with ``--host 127.0.0.1``
(``make run``'s default) answers no phone, whatever address the QR code shows. :func:`reachability` decides
both at once, from what the booth listens on (``create_app``'s ``listen_host``, ``listen_port``):

* the hotspot on: the booth's address on its own Wi-Fi (the phone joins it first, by the Wi-Fi QR code);
* ``web.public_url`` set: that (the studio's own name for the booth, or a proxy in front of it);
* listening on every address (0.0.0.0, ::): the name the page was asked by when it is one of the booth's
  own and a phone can resolve it (an address, or a dotted name such as ``booth.local``), else the booth's
  address on its default route (:func:`lan_address`). The caller passes the page's Host only when it is
  one of the booth's names (:func:`booth.web.context.reach`): a Host header is the client's to choose, and
  a QR code must not name whatever host a request claimed;
* listening on one network address: that address;
* listening on loopback only: no link a phone can open. The operator page and the log say so, with the
  address the QR code would need and the fix; the kiosk then shows no QR code at all.

Unknown (``listen_host`` None, e.g. an app built by a test) keeps the older rule: the public URL, else the
page's address, else the booth's network address.

The hotspot's join code is the de-facto standard ``WIFI:`` text that phone cameras read
(:func:`wifi_join_text`), with its passphrase read from ``hotspot.password_file`` when asked for, never kept.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.image.svg

from booth.config import HotspotSettings
from booth.web.security import host_name, is_loopback

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
#: What a booth listening on loopback only must change; said on the operator page and in the log.
#: (``web.public_url`` alone changes nothing: only a proxy on the booth that listens for phones does.)
LOOPBACK_FIX = (
    "start it with --host 0.0.0.0 (make run HOST=0.0.0.0), or set web.public_url to a proxy on the booth "
    "that phones can reach"
)
#: The characters the ``WIFI:`` format takes literally only behind a backslash.
WIFI_SPECIAL = '\\;,:"'
#: WPA2's passphrase length: a file holding anything else is not a passphrase a phone can join with.
PASSPHRASE_LENGTH = range(8, 64)

_unreadable_logged: set[Path] = set()


def valid_token(token: str) -> bool:
    """Shape check before any lookup (storage tokens are 32 url-safe characters, 192 bits)."""
    return TOKEN_RE.fullmatch(token) is not None


def lan_address() -> str | None:
    """The booth's own network address on its default route, or None offline (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects the route, sends nothing
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if is_loopback(address) else address


@dataclass(frozen=True)
class Reachability:
    """Can a phone open the link the QR code would show, and if not, why and what would fix it."""

    phone_ok: bool
    base: str  # the link base the QR code uses ("http://192.168.1.20:8080"), no trailing slash
    reason: str = ""  # why a phone cannot open it ("" when it can)
    would_need: str = ""  # the base the QR code would need ("" when phone_ok, or unknown offline)
    fix: str = ""  # what to change so it can

    def warning(self) -> str:
        """The one line for the log and the operator page ("" when a phone can open the link)."""
        if self.phone_ok:
            return ""
        need = f"; the QR code would need {self.would_need}" if self.would_need else ""
        return f"{self.reason}{need}: {self.fix}" if self.fix else f"{self.reason}{need}"


def url_host(host: str) -> str:
    """``host`` as it goes into a URL: an IPv6 literal in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _base(host: str, port: int | str | None) -> str:
    return f"http://{url_host(host)}:{port}" if port else f"http://{url_host(host)}"


def _loopback(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost") or is_loopback(host)


def _phone_resolvable(host: str) -> bool:
    """Can a phone find ``host``? An IP literal or a dotted name (``booth.local``, ``booth.studio.lan``);
    a bare machine name (``raspberrypi``) resolves only where the network's DNS says so, rarely on a phone."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return "." in host
    return True


def _is_wildcard(host: str) -> bool:
    try:
        return host in WILDCARDS or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def reachability(
    public_url: str,
    hotspot: HotspotSettings,
    listen_host: str | None,
    port: int | str | None,
    request_host: str | None = None,
) -> Reachability:
    """Where the QR code's link points and whether a phone can open it (see the module docstring).

    ``port`` is the port the booth listens on (else the page's own); ``request_host`` the Host header of
    the page asking, only when it names the booth (None at start, when no page asks, or when the Host is
    not one of the booth's names: the booth's network address stands in for it).
    """
    asked = host_name(request_host) if request_host else ""
    if asked and not _phone_resolvable(asked):
        asked, request_host = "", None
    if hotspot.enabled:
        base = _base(hotspot.address, port)
        if listen_host is None or _is_wildcard(listen_host) or listen_host == hotspot.address:
            return Reachability(True, base)
        reason = (
            f"the booth listens on {listen_host} only, not on its hotspot address {hotspot.address}, "
            "so a phone on the hotspot cannot open the gallery link"
        )
        return Reachability(False, base, reason, base, "start it with --host 0.0.0.0")
    if public_url:
        return Reachability(True, public_url.rstrip("/"))
    if listen_host is None:  # not told: the page's own address when a phone could use it
        if asked and not _loopback(asked):
            return Reachability(True, f"http://{request_host}")  # the Host header, its port included
        return _lan_or_offline(port, asked or "127.0.0.1")
    if _loopback(listen_host):
        lan = lan_address()
        reason = f"the booth listens on {listen_host} only, so a phone cannot open the gallery link"
        would = _base(lan, port) if lan else ""
        return Reachability(False, _base(listen_host, port), reason, would, LOOPBACK_FIX)
    if _is_wildcard(listen_host):
        if asked and not _loopback(asked):
            return Reachability(True, _base(asked, port))
        return _lan_or_offline(port, "127.0.0.1")
    return Reachability(True, _base(listen_host, port))


def _lan_or_offline(port: int | str | None, fallback: str) -> Reachability:
    lan = lan_address()
    if lan is not None:
        return Reachability(True, _base(lan, port))
    reason = "the booth has no network address (no network is connected), so a phone cannot open the link"
    fix = "connect the booth to the studio network, or turn on its hotspot"
    return Reachability(False, _base(fallback, port), reason, "", fix)


def wifi_escape(text: str) -> str:
    """``text`` with the ``WIFI:`` format's special characters (\\ ; , : ") behind a backslash."""
    return "".join(f"\\{ch}" if ch in WIFI_SPECIAL else ch for ch in text)


def wifi_join_text(ssid: str, passphrase: str) -> str:
    """The Wi-Fi join code phone cameras read: ``WIFI:T:WPA;S:<ssid>;P:<passphrase>;;``."""
    return f"WIFI:T:WPA;S:{wifi_escape(ssid)};P:{wifi_escape(passphrase)};;"


def read_passphrase(path: Path) -> str | None:
    """The hotspot's passphrase: the file's first line. None (logged once per file) when it cannot be
    read or is no WPA2 passphrase, so the kiosk shows no join code rather than one that fails."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        problem = f"cannot be read ({err.strerror or err})" if isinstance(err, OSError) else "is not UTF-8"
    else:
        passphrase = lines[0].strip() if lines else ""
        if len(passphrase) in PASSPHRASE_LENGTH:
            _unreadable_logged.discard(path)
            return passphrase
        problem = "holds no passphrase of 8 to 63 characters"
    if path not in _unreadable_logged:
        _unreadable_logged.add(path)
        log.error(
            "hotspot.password_file %s %s, so the end screen shows no Wi-Fi QR code; "
            "run firmware/hotspot.sh again or fix the file",
            path,
            problem,
        )
    return None


def wifi_text(hotspot: HotspotSettings) -> str | None:
    """The hotspot's join code, or None when the hotspot is off or its passphrase unreadable."""
    if not hotspot.enabled:
        return None
    passphrase = read_passphrase(Path(hotspot.password_file))
    return None if passphrase is None else wifi_join_text(hotspot.ssid, passphrase)


#: Longer than this (a presigned cloud link is about 450 characters), a QR code drops to the lowest error
#: correction: a code on a clean screen needs little, and two versions fewer means modules a phone
#: resolves from further away. The kiosk also draws such a code larger (``data-dense``).
DENSE_TEXT = 120


def qr_svg(text: str) -> bytes:
    """A QR code of ``text`` as a standalone SVG (a single path, scales to any size)."""
    level = qrcode.constants.ERROR_CORRECT_L if len(text) > DENSE_TEXT else qrcode.constants.ERROR_CORRECT_M
    qr = qrcode.QRCode(error_correction=level, border=2, box_size=10)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue()
