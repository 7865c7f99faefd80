"""The full-resolution ring: bounded by age, count and bytes; nearest-moment lookup."""

from __future__ import annotations

from booth.camera.ring import FrameRing


def test_bounded_by_age() -> None:
    ring: FrameRing[int] = FrameRing(seconds=1.0, max_bytes=10**9, max_count=1000)
    for i in range(30):
        ring.push(i * 0.25, i, 10)
    assert len(ring) == 5  # 6.25 .. 7.25 s
    assert ring.nearest(0.0) == (6.25, 25)


def test_bounded_by_count_and_bytes_keeping_the_newest() -> None:
    ring: FrameRing[int] = FrameRing(seconds=100.0, max_bytes=10**9, max_count=5)
    for i in range(20):
        ring.push(float(i), i, 1)
    assert len(ring) == 5
    ring = FrameRing(seconds=100.0, max_bytes=250, max_count=100)
    for i in range(20):
        ring.push(float(i), i, 100)
    assert len(ring) == 2 and ring.nbytes == 200
    ring.push(20.0, 20, 10_000)  # larger than the cap on its own: still kept, alone
    assert len(ring) == 1 and ring.nearest(0.0) == (20.0, 20)


def test_nearest_and_clear() -> None:
    ring: FrameRing[str] = FrameRing(seconds=10.0, max_bytes=10**6, max_count=10)
    assert ring.nearest(1.0) is None
    for t, name in [(1.0, "a"), (1.5, "b"), (2.0, "c")]:
        ring.push(t, name, 1)
    assert ring.nearest(1.7) == (1.5, "b")
    assert ring.nearest(1.8) == (2.0, "c")
    ring.clear()
    assert len(ring) == 0 and ring.nbytes == 0
