"""The doctor's precision check, on /proc/cpuinfo as a Pi 4, a Pi 5 and this machine write it.

The two Pi files are the kernel's format with the Features each core lists (arm64 Linux: a Pi 5's
Cortex-A76 has ``fphp asimdhp``, a Pi 4's Cortex-A72 has neither); this machine's own file is read as is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from booth.doctor.cpu import check_precision, fp16_arithmetic

PI5_CORE = """processor\t: {n}
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x4
CPU part\t: 0xd0b
CPU revision\t: 1
"""
PI4_CORE = """processor\t: {n}
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3
"""


def cpuinfo(tmp_path: Path, core: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text("\n".join(core.format(n=n) for n in range(4)) + "\nModel\t\t: Raspberry Pi\n")
    return path


def test_a_pi_5_has_fp16_arithmetic_and_a_pi_4_has_not(tmp_path):
    assert fp16_arithmetic(cpuinfo(tmp_path, PI5_CORE))
    assert not fp16_arithmetic(cpuinfo(tmp_path, PI4_CORE))


def test_this_x86_machine_counts_as_none_whatever_its_flags():
    """An x86 /proc/cpuinfo has ``flags``, not ``Features`` (this one lists avx512_fp16, which the
    runtimes installed here do not use: tests/vision/test_model_bytes.py)."""
    if not Path("/proc/cpuinfo").exists() or "Features" in Path("/proc/cpuinfo").read_text():
        pytest.skip("not an x86 Linux machine")
    assert not fp16_arithmetic()


def test_an_unreadable_cpuinfo_is_no_fp16(tmp_path):
    assert not fp16_arithmetic(tmp_path / "absent")


def test_fp16_on_a_pi_4_warns_that_it_changes_nothing(tmp_path):
    result = check_precision("fp16", cpuinfo(tmp_path, PI4_CORE))
    assert result.ok and result.warn
    assert "no fp16 arithmetic" in result.detail and "fp32" in result.detail
    assert 'vision.precision = "fp32"' in result.fix


def test_fp16_on_a_pi_5_is_ok_and_fp32_there_points_at_the_setting(tmp_path):
    pi5 = cpuinfo(tmp_path, PI5_CORE)
    taken = check_precision("fp16", pi5)
    assert taken.ok and not taken.warn and "half precision" in taken.detail
    plain = check_precision("fp32", pi5)
    assert plain.ok and not plain.warn and 'vision.precision = "fp16"' in plain.detail


def test_fp32_without_fp16_arithmetic_is_plain_ok(tmp_path):
    result = check_precision("fp32", cpuinfo(tmp_path, PI4_CORE))
    assert result.ok and not result.warn and result.detail.startswith("fp32")
