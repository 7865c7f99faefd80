"""What every browser test shares: Debian's Chromium, its flags, the marks, and where screenshots go.

The ``browser`` fixture itself (one headless Chromium per test module) is in ``tests/web/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

#: ``pytestmark = BROWSER`` in a browser test module: marked, and skipped only where Chromium is absent.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]
