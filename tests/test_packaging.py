"""pyproject.toml: metadata the build backend it asks for can actually read.

``license = "Apache-2.0"`` is a PEP 639 SPDX expression, which setuptools understands from version 77 on;
an older one rejects the project outright. pip normally builds with the newest setuptools anyway, so the
mismatch only shows where the build requirement is pinned low (an offline mirror, a constrained build).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The first setuptools that accepts a string ``project.license`` (PEP 639).
SPDX_LICENSE_SETUPTOOLS = 77


def setuptools_lower_bound(requires: list[str]) -> tuple[int, ...] | None:
    """The version a ``setuptools>=X`` (or ``>X``) build requirement guarantees at least; None if none."""
    for requirement in requires:
        match = re.fullmatch(r"\s*setuptools\s*(\[[^]]*\])?\s*(?P<spec>(?:[<>=!~][^;]*)?)(;.*)?", requirement)
        if not match:
            continue
        bounds = [
            tuple(int(part) for part in version.split("."))
            for version in re.findall(r"(?:>=|>|==|~=)\s*(\d+(?:\.\d+)*)", match["spec"])
        ]
        return max(bounds) if bounds else None
    return None


def test_lower_bound_parsing():
    assert setuptools_lower_bound(["wheel", "setuptools>=77.0.3"]) == (77, 0, 3)
    assert setuptools_lower_bound(["setuptools >= 68, <80"]) == (68,)
    assert setuptools_lower_bound(["setuptools"]) is None
    assert setuptools_lower_bound(["setuptools-scm>=8"]) is None


def test_a_spdx_license_string_asks_for_a_setuptools_that_reads_it():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    build = data["build-system"]
    assert build["build-backend"] == "setuptools.build_meta"
    if isinstance(data["project"].get("license"), str):
        bound = setuptools_lower_bound(build["requires"])
        assert bound is not None and bound >= (SPDX_LICENSE_SETUPTOOLS,), (
            f'project.license is a string (PEP 639): [build-system] requires needs "setuptools>='
            f'{SPDX_LICENSE_SETUPTOOLS}", not {build["requires"]}'
        )
