"""Gallery links and their QR codes, made on the booth (no internet, no QR service).

Why the address needs thought: the kiosk screen usually runs on the booth itself and asks for
``http://127.0.0.1:8080``, but the QR code is read by the sitter's phone, for which 127.0.0.1 is the phone.
So the link is built from ``web.public_url`` when set, else from the page's own address when that is a
network address, else from the booth's own network address (the one its default route uses).
"""

from __future__ import annotations

import io
import logging
import re
import socket

import qrcode
import qrcode.image.svg

from booth.web.security import is_loopback

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")


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


def base_url(public_url: str, host_url: str, host: str, port: str | None) -> str:
    """Base for links a phone will open (see the module docstring)."""
    if public_url:
        return public_url.rstrip("/")
    if not is_loopback(host) and host != "localhost":
        return host_url.rstrip("/")
    address = lan_address()
    if address is None:
        return host_url.rstrip("/")
    return f"http://{address}:{port}" if port else f"http://{address}"


def qr_svg(text: str) -> bytes:
    """A QR code of ``text`` as a standalone SVG (a single path, scales to any size)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue()
