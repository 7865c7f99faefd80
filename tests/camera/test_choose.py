"""Camera specs and the auto choice. Hardware boundaries faked: picamera2 by tests/fakes/picamera2 (via
sys.modules), the list of /dev/video* nodes by monkeypatching ``usb.list_devices``."""

from __future__ import annotations

import pytest

from booth.camera import choose, open_camera, parse_spec, usb
from booth.camera.picam import PicameraCamera
from booth.camera.replay import ReplayCamera
from booth.camera.usb import UsbCamera
from booth.config import CameraSettings
from booth.errors import BoothError, ConfigError


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("auto", ("auto", None)),
        ("picamera2", ("picamera2", None)),
        ("usb:0", ("usb", "0")),
        (" usb:12 ", ("usb", "12")),
        ("replay:/tmp/a b.mp4", ("replay", "/tmp/a b.mp4")),
    ],
)
def test_parse_spec(spec, expected) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "usb", "usb:", "usb:x", "replay:", "webcam", "picamera2:1"])
def test_bad_spec_is_one_line_config_error(spec) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(spec)
    assert isinstance(info.value, BoothError) and "\n" not in str(info.value)
    assert "usb:N" in str(info.value)


def test_explicit_specs_build_the_right_source(tmp_path) -> None:
    settings = CameraSettings()
    assert isinstance(open_camera("picamera2", settings), PicameraCamera)
    webcam = open_camera("usb:3", settings)
    assert isinstance(webcam, UsbCamera) and webcam.source == "/dev/video3"
    replay = open_camera(f"replay:{tmp_path}", settings)
    assert isinstance(replay, ReplayCamera) and replay.path == tmp_path
    assert isinstance(open_camera(None, CameraSettings(source="usb:1")), UsbCamera)


def test_auto_prefers_picamera2(fake_picamera2, monkeypatch, caplog) -> None:
    monkeypatch.setattr(usb, "list_devices", lambda: [0])
    caplog.set_level("INFO")
    assert isinstance(open_camera("auto"), PicameraCamera)
    assert "camera auto: picamera2 (libcamera lists imx708)" in caplog.text


def test_auto_without_cameras_replays_the_demo_clip(fake_picamera2, monkeypatch, caplog) -> None:
    fake_picamera2.WORLD.cameras = []
    monkeypatch.setattr(usb, "list_devices", lambda: [])
    caplog.set_level("INFO")
    camera = open_camera("auto")
    assert isinstance(camera, ReplayCamera) and camera.path.name == "single_face.mp4"
    assert "demo replay" in caplog.text and "no Pi camera listed" in caplog.text


def test_auto_skips_video_nodes_that_are_not_webcams(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(__import__("sys").modules, "picamera2", None)
    monkeypatch.setattr(usb, "list_devices", lambda: [57])  # no such node: probe fails like a codec node
    assert isinstance(open_camera("auto"), ReplayCamera)


def test_demo_footage_falls_back_to_other_clips(monkeypatch) -> None:
    monkeypatch.setattr(choose, "DEMO_CLIPS", ("missing.mp4", "WolfgangLanger_Pexels.mp4"))
    assert choose.demo_footage().name == "WolfgangLanger_Pexels.mp4"
