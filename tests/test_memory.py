"""booth.memory: the heap's free pages go back to the kernel under the booth's own malloc settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHILD = r"""
import numpy as np
from booth.memory import trim_free_heap

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024

blocks = [np.ones(100_000, dtype=np.uint8) for _ in range(600)]  # 60 MB in 100 KB heap blocks
keep = blocks[-1]  # the heap's top stays in use: only a trim of the middle can give the rest back
del blocks
before = rss_mb()
assert trim_free_heap()
print(before - rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_gives_freed_heap_back_with_the_booths_malloc_settings():
    env = os.environ | {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "67108864"}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    assert float(out.stdout) > 40  # of the 60 MB freed, most was still resident until the trim
