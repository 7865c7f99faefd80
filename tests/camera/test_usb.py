"""The USB webcam source, as far as it can be tested without a device: node listing and the fault (and
retry) when the device is absent. A real webcam test would be marked ``hardware``."""

from __future__ import annotations

from camera_helpers import faulted, wait_until

from booth.camera import usb
from booth.camera.usb import UsbCamera


def test_list_devices_reads_video_nodes_in_numeric_order(tmp_path) -> None:
    for name in ["video10", "video2", "video0", "videox", "media0"]:
        (tmp_path / name).touch()
    assert usb.list_devices(tmp_path) == [0, 2, 10]


def test_absent_device_is_a_fault_and_keeps_retrying(fast_settings) -> None:
    with UsbCamera(57, fast_settings) as camera:
        assert wait_until(lambda: faulted(camera))
        state = camera.state
        assert state.kind == "usb" and state.running and state.frames == 0
        assert "/dev/video57: no such device" in state.fault and "usb:N" in state.fault
    assert not camera.state.running


def test_probe_rejects_what_is_not_a_capture_device() -> None:
    assert usb.probe(57) is False
