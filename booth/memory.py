"""Give the heap's free pages back to the kernel now and then, so a booth's resident memory stays flat.

Why: the booth sets ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` high (see
booth/vision/README.md) so glibc keeps the analysis thread's large per-frame buffers instead of unmapping
and faulting them in again every frame. The price is that memory freed by the page's threads (preview JPEGs,
event text, the server's output buffers) stays resident: ``make bench``'s 10,000-frame soak of ``booth
run`` grew by 4.5-8 % with Python's own allocations flat (tracemalloc), while the analysis alone stayed flat.
``malloc_trim(0)`` returns the free pages in the middle of the heap as well as at its top; called once a
minute it costs one burst of page faults, not one per frame. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

#: How often the analysis loop trims (seconds).
TRIM_EVERY_S = 60.0


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        trim = None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def trim_free_heap() -> bool:
    """Return the heap's free pages to the kernel; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
