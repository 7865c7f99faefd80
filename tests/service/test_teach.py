"""Teaching a look on the running booth: takes recorded from the replay camera on real footage, learned
into a preview scored live, then saved into the looks file, undone exactly, or discarded.

Mocked only at the hardware boundary (gpiozero's mock pins; the replay camera stands in for the Pi
camera). ``single_face.mp4`` has 72 frames and loops: no smile in frames 0-18, a smile from 19 to 70.
The camera numbers its frames from 1, so a frame's place in the clip is ``(sequence - 1) % 72``, and a
take is started at a known place in the clip, short enough to stay inside its part.
"""

from __future__ import annotations

import pytest
import support
from support import wait_until

from booth import config, looks
from booth.errors import BoothError, ConfigError
from booth.looks.learn import LearnError
from booth.service import BoothService
from booth.service.teach import PREVIEW_SUFFIX

CLIP_FRAMES = 72


@pytest.fixture
def teach_service(make_service, tmp_path):
    """``teach_service(overrides)``: a started service with the quick settings and a config file."""

    def make(overrides: dict | None = None) -> BoothService:
        settings = config.validate({**support.QUICK, **(overrides or {})})
        return make_service(settings, config_path=tmp_path / "data" / "booth.toml")

    return make


def clip_frame(service: BoothService) -> int:
    frame = service.camera.latest()
    return -1 if frame is None else (frame.sequence - 1) % CLIP_FRAMES


def take(service: BoothService, kind: str, seconds: float, first: int, last: int) -> dict:
    """Record one take starting while the clip is between frames ``first`` and ``last``."""
    wait_until(lambda: first <= clip_frame(service) <= last, 10, f"clip frame {first}-{last}")
    status = service.teaching.record(kind, seconds)
    assert status["recording"]["kind"] == kind
    wait_until(lambda: service.teaching.status()["recording"] is None, seconds + 5, "the take to end")
    return service.teaching.status()["takes"][-1]


def record_smile_takes(service: BoothService) -> None:
    """Two takes of the smile (frames ~22-55) and two of the resting face (frames ~0-13)."""
    for _ in range(2):
        held = take(service, "holding", 1.0, 22, 25)
        assert held["frames"] >= 15 and held["missed"] == 0
        rest = take(service, "not", 0.4, 0, 1)
        assert rest["frames"] >= 6 and rest["missed"] == 0


def live_score(service: BoothService, key: str) -> float | None:
    face = service.status().to_json()["face"]
    return face["looks"].get(key) if face else None


def test_takes_learn_a_preview_that_scores_live_then_save_and_undo(teach_service):
    service = teach_service()
    record_smile_takes(service)
    status = service.teaching.learn("beam")
    preview = status["preview"]
    assert preview["name"] == "beam" and preview["key"] == "beam" + PREVIEW_SUFFIX
    assert preview["summary"].startswith("learn: positives=") and preview["cv_accuracy"] >= 0.9
    assert preview["terms"] and preview["replaces"] == ""
    assert "Previewing 'beam' live" in status["message"]
    # Live on the sitter: high while the clip smiles, low while it rests (the clip loops).
    key = preview["key"]
    assert wait_until(lambda: (s := live_score(service, key)) is not None and s > 0.8, 10, "a high score")
    assert wait_until(lambda: (s := live_score(service, key)) is not None and s < 0.2, 10, "a low score")
    assert "beam" not in service.book.looks  # on trial only: no shot list can target it
    assert [n for n in service.shooter.book.looks if n not in service.book.looks] == [key]

    status = service.teaching.save()
    path = service.data_dir / "looks.toml"
    assert status["preview"] is None and status["undo"] == {"name": "beam", "path": str(path)}
    assert service.settings.looks.file == path
    assert config.load(service.config_path).looks.file == path  # persisted through the settings change
    saved = looks.load(path).looks["beam"]
    assert saved.bias is not None and saved.terms
    text = path.read_text()
    assert 'Learned by the operator page ("Teach a look") from recorded takes' in text
    assert "Cross-validated accuracy" in text and (path.stat().st_mode & 0o777) == 0o644
    assert "beam" in service.book.looks and key not in service.shooter.book.looks
    assert wait_until(lambda: live_score(service, "beam") is not None, 5, "the saved look scored")

    with pytest.raises(BoothError, match="nothing to save"):
        service.teaching.save()  # a double click
    status = service.teaching.undo()
    assert status["undo"] is None and "Undone" in status["message"]
    assert "beam" not in looks.load(path).looks and "beam" not in service.book.looks
    # The save named the looks file; undo takes that setting back out of the changes file too.
    assert service.settings.looks.file is None and config.load(service.config_path).looks.file is None
    with pytest.raises(BoothError, match="nothing to undo"):
        service.teaching.undo()


def test_undo_restores_an_existing_looks_file_byte_for_byte(teach_service, tmp_path):
    own = tmp_path / "studio-looks.toml"
    shipped = looks.load().looks["confident"]
    original = (
        "# The studio's own looks, by hand.\n\n[look.confident]\n"
        f'title = "Confident"\nscenario = "Chin level."\nterm = [\n'
        f'  {{ signal = "{shipped.terms[0].signal}", weight = 1.0 }},\n]\n'
    )
    own.write_text(original)
    service = teach_service({"looks": {"file": str(own)}})
    record_smile_takes(service)
    status = service.teaching.learn("confident")
    assert status["preview"]["replaces"] == "your look"
    assert "Saving it replaces your look 'confident'" in status["message"]
    service.teaching.save()
    written = own.read_text()
    assert written.startswith("# The studio's own looks, by hand.\n") and "bias = " in written
    assert service.book.looks["confident"].bias is not None
    service.teaching.undo()
    assert own.read_bytes() == original.encode()
    assert service.book.looks["confident"].bias is None


def test_discard_restores_the_book_and_drops_the_takes(teach_service):
    service = teach_service()
    before = service.shooter.book
    record_smile_takes(service)
    service.teaching.learn("confident")
    assert service.teaching.status()["preview"]["replaces"] == "the shipped look"
    assert "confident" + PREVIEW_SUFFIX in service.shooter.book.looks
    status = service.teaching.discard()
    assert status["preview"] is None and status["takes"] == [] and status["holding_frames"] == 0
    assert service.shooter.book == before
    with pytest.raises(LearnError, match="record at least one 'holding' take"):
        service.teaching.learn("confident")


def test_refusals_are_one_line_and_change_nothing(teach_service):
    service = teach_service()
    with pytest.raises(LearnError, match="record at least one 'holding' take and one 'not holding'"):
        service.teaching.learn("smize")
    for bad in ("Smize", "9lives", "", "a b", "x" * 41, "../etc"):
        with pytest.raises(ConfigError, match="lower-case letters"):
            service.teaching.learn(bad)
    with pytest.raises(ConfigError, match="use 'holding' or 'not'"):
        service.teaching.record("maybe", 1.0)
    with pytest.raises(ConfigError, match="take length 99 s"):
        service.teaching.record("holding", 99)
    service.teaching.record("holding", 2.0)
    with pytest.raises(BoothError, match="already recording a 'holding' take"):
        service.teaching.record("not", 1.0)  # a double click
    with pytest.raises(BoothError, match="still recording"):
        service.teaching.learn("smize")
    with pytest.raises(BoothError, match="nothing to save: learn a look first"):
        service.teaching.save()
    with pytest.raises(BoothError, match="nothing to undo"):
        service.teaching.undo()
    wait_until(lambda: service.teaching.status()["recording"] is None, 5, "the take to end")
    # Takes of the same face on both sides (the whole loop each): the learner cannot tell them apart.
    service.teaching.record("not", 2.5)
    wait_until(lambda: service.teaching.status()["recording"] is None, 6, "the take to end")
    service.teaching.record("holding", 2.5)
    wait_until(lambda: service.teaching.status()["recording"] is None, 6, "the take to end")
    with pytest.raises(LearnError) as refused:
        service.teaching.learn("smize")
    assert "\n" not in str(refused.value)
    assert service.teaching.status()["preview"] is None
    assert service.shooter.book == service.book


def test_saving_and_undoing_wait_for_an_idle_booth(teach_service):
    """A running shot list never has its looks changed under it: save and undo both wait."""
    service = teach_service()
    record_smile_takes(service)
    service.teaching.learn("beam")
    service.start_session()
    with pytest.raises(BoothError, match="only between sessions"):
        service.teaching.save()
    assert not (service.data_dir / "looks.toml").exists() and service.settings.looks.file is None
    assert service.teaching.status()["preview"]["name"] == "beam"  # still on trial
    service.cancel_session()
    service.teaching.save()
    assert "beam" in looks.load(service.data_dir / "looks.toml").looks
    service.start_session()
    with pytest.raises(BoothError, match="undo once the booth is idle"):
        service.teaching.undo()
    assert "beam" in looks.load(service.data_dir / "looks.toml").looks
    service.cancel_session()
    service.teaching.undo()
    assert "beam" not in looks.load(service.data_dir / "looks.toml").looks
