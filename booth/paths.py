"""Where the booth keeps models, cached downloads and its data.

The package is installed editable from its checkout (``make`` and the provisioning script both do), so the
checkout's ``models/`` folder, which holds the manifest, is also where fetched weights land. Each location can
be moved with an environment variable, which the appliance's systemd unit uses.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = REPO_ROOT / "models" / "manifest.toml"


def models_dir() -> Path:
    """Folder holding the fetched model files (``BOOTH_MODELS_DIR``, else the checkout's ``models/``)."""
    return Path(os.environ.get("BOOTH_MODELS_DIR") or REPO_ROOT / "models")


def cache_dir() -> Path:
    """Folder for downloaded wheels and test media, outside git (``BOOTH_CACHE_DIR``, else XDG cache)."""
    env = os.environ.get("BOOTH_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "headshot-booth"


def media_dir() -> Path:
    """Folder holding the real face photos and clips used by tests, evaluation and the demo camera."""
    return cache_dir() / "media"
