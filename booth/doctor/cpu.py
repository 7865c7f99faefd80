"""The doctor's ``precision`` check: does ``vision.precision`` do anything on this CPU?

XNNPACK takes the fp16 hint (:mod:`booth.vision.model_bytes`) only on an ARM core with fp16 arithmetic,
which Linux lists as ``asimdhp`` (half-precision Advanced SIMD) in ``/proc/cpuinfo``'s Features: a Pi 5's
Cortex-A76 has it, a Pi 4's Cortex-A72 does not. On x86 the runtimes the booth installs run fp32 whatever
the flags say (bit-identical outputs, ``tests/vision/test_model_bytes.py``), so only the ARM feature counts.
"""

from __future__ import annotations

from pathlib import Path

from booth.doctor import CheckResult

CPUINFO = Path("/proc/cpuinfo")
FP16_FEATURE = "asimdhp"


def fp16_arithmetic(cpuinfo: Path = CPUINFO) -> bool:
    """Whether every core's Features line lists :data:`FP16_FEATURE` (False when there is none: not ARM)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    features = [line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("Features")]
    return bool(features) and all(FP16_FEATURE in line for line in features)


def check_precision(precision: str, cpuinfo: Path = CPUINFO) -> CheckResult:
    """OK either way; a WARN when fp16 is asked for where it cannot change anything."""
    name = "precision"
    if fp16_arithmetic(cpuinfo):
        if precision == "fp16":
            return CheckResult(
                name, True, "fp16: this CPU has fp16 arithmetic, FaceMesh v2 runs in half precision"
            )
        return CheckResult(
            name,
            True,
            'fp32; this CPU has fp16 arithmetic, so vision.precision = "fp16" may read faster '
            "(run booth eval --fp16 and the hardware tests first: README, Measured)",
        )
    if precision == "fp16":
        return CheckResult(
            name,
            True,
            "fp16 asked for, but this CPU has no fp16 arithmetic: FaceMesh v2 runs in fp32 as before",
            'nothing to do unless you want the setting to say what runs: vision.precision = "fp32"',
            warn=True,
        )
    return CheckResult(name, True, "fp32 (this CPU has no fp16 arithmetic)")
