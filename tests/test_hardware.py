"""booth/hardware/ as a whole: what it may import, the names it offers, and the wiring rules it relies on.

The devices themselves are tested module by module beside the on-the-Pi checks, in tests/hardware/
(test_pins.py, test_parking.py, test_shutter.py, test_button.py, test_light.py, and test_facade.py for
:class:`booth.hardware.Hardware`); those run everywhere on gpiozero's mock pins.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import booth.hardware
from booth.config import PinSettings, validate
from booth.errors import ConfigError

BOOTH = Path(booth.hardware.__file__).resolve().parent.parent
HARDWARE = BOOTH / "hardware"

#: Every name code and tests imported from ``booth.hardware`` when it was one module (less
#: ``pattern_for_trigger``: the choice of pattern moved to the service), so moving code never breaks one.
PUBLIC = {
    "BLINKS",
    "DEFAULT_REAL_FACTORY",
    "MODEL_PATH",
    "Blink",
    "ExternalShutter",
    "Hardware",
    "LightPattern",
    "PinFactoryChoice",
    "Pulse",
    "ShutterRelease",
    "StartButton",
    "StatusLight",
    "load_real_factory",
    "mock_pin_factory",
    "open_device",
    "park_remote_lines",
    "parking_pin_class",
    "pi_model",
    "release_pull",
    "select_pin_factory",
}


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """``(module, only_for_type_checking)`` for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in typing_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, id(node) in typing_only))
    return found


def test_the_package_imports_only_gpiozero_the_standard_library_and_booth_errors():
    """No policy, session or service: the hardware offers what the wiring can do, the service decides."""
    wrong = []
    for path in sorted(HARDWARE.glob("*.py")):
        for module, typing_only in imports_of(path):
            top = module.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top in ("__future__", "gpiozero")
                or module == "booth.errors"
                or module.startswith("booth.hardware")
                or (module == "booth.config" and typing_only)  # PinSettings, as an annotation
            )
            if not allowed:
                wrong.append(f"{path.name}: {module}" + (" (type only)" if typing_only else ""))
    assert wrong == []


def test_importing_the_package_loads_neither_the_policy_nor_the_config():
    code = (
        "import sys, booth.hardware; "
        "print(sorted(m for m in ('booth.policy', 'booth.config') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_gpiozero_is_imported_only_inside_booth_hardware():
    users = {
        str(path.relative_to(BOOTH.parent))
        for path in BOOTH.rglob("*.py")
        if any(module.split(".")[0] == "gpiozero" for module, _ in imports_of(path))
    }
    assert users and all(user.startswith("booth/hardware/") for user in users), users


def test_every_name_imported_from_the_old_module_is_still_there():
    assert set(booth.hardware.__all__) >= PUBLIC
    assert all(hasattr(booth.hardware, name) for name in PUBLIC)
    assert not hasattr(booth.hardware, "pattern_for_trigger")


# --- wiring rules in the config -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pins", "fragment"),
    [
        ({"shutter": 5}, "pins.shutter = 5: GPIO5 would be active while the Pi boots"),
        ({"focus": 8}, "pins.focus = 8"),
        ({"active_high": False}, "use GPIO 0-8"),
        ({"shutter": 14}, "GPIO14"),
        ({"led": 24}, "both use GPIO24"),
        ({"shutter": 28}, "pins.shutter"),
    ],
)
def test_wiring_that_would_fire_at_boot_is_rejected(pins, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", "\\(")):
        validate({"pins": pins})


def test_valid_wirings():
    assert PinSettings().shutter == 24 and PinSettings().focus == 23
    assert validate({"pins": {"active_high": False, "focus": 5, "shutter": 6}}).pins.shutter == 6
    assert validate({"pins": {"focus": None, "buzzer": 22}}).pins.buzzer == 22
