"""Child process of tests/storage/test_crash.py: runs booth sessions flat out until it is SIGKILLed.

Drives the real session state machine (booth.session) with candidates whose pixels are a real face photo from
the media cache, and carries out its actions on the real storage (booth.storage): start on consent, a shot per
kept candidate (with crop boxes), best marks, events, end of session; every few sessions also an export and a
deletion, so kills land inside every kind of write. Prints ``ready`` once storage is open.

Usage: python crash_writer.py ROOT SEED
"""

from __future__ import annotations

import dataclasses
import random
import sys

from booth import best_frame, shot_lists
from booth import session as s
from booth.assets import media_path
from booth.config import SessionSettings, StorageSettings
from booth.media import load_image
from booth.storage import Storage


def main(root: str, seed: int) -> None:
    rng = random.Random(seed)
    pixels = load_image(media_path("single_face.jpg"))
    height, width = pixels.shape[:2]
    box = (width // 4, height // 8, width // 4 + 240, height // 8 + 300)  # a 4:5 box inside the photo
    defaults = s.SessionConfig.from_settings(SessionSettings())
    config = dataclasses.replace(defaults, shot_list=shot_lists.resolve("commercial", None, 2, 5.0))
    store = Storage(root, StorageSettings(min_free_mb=0, shot_reserve_mb=0, jpeg_quality=80))
    store.open()
    print("ready", flush=True)
    machine = s.Session(config, now=0.0)
    now = 0.0
    count = 0
    while True:
        count += 1
        session_id = None
        shot_ids: dict[int, int] = {}
        frame = 0
        for trigger in (s.Trigger.START, s.Trigger.CONSENT, s.Trigger.BASELINE_DONE):
            now += 0.1
            for action in machine.handle(trigger, now):
                if isinstance(action, s.OpenSession):
                    session_id = store.start_session(action.shot_list, action.consent_text).id
        while machine.state is s.State.SHOOTING:
            now += 0.5
            frame += 1
            look = machine.current_look.look
            scores = {name: rng.random() for name in shot_lists.LOOKS}
            candidate = best_frame.Candidate(
                look=look,
                look_score=scores[look],
                engaged=rng.random() > 0.3,
                eye_openness=rng.random(),
                sharpness=rng.uniform(10, 400),
                face_size=rng.uniform(0.1, 0.6),
                landmarks=None,
                scores=scores,
                timestamp=now,
                frame_id=frame,
            )
            for action in machine.offer(candidate, now) + machine.tick(now):
                if isinstance(action, s.SaveCandidate):
                    shot = store.add_shot(
                        session_id,
                        look,
                        pixels,
                        scores=dict(action.candidate.scores),
                        verdicts={"engaged": action.candidate.engaged},
                        combined=action.combined,
                        crops={"4x5": box},
                    )
                    shot_ids[action.candidate.frame_id] = shot.id
                elif isinstance(action, s.LookFinished) and action.best is not None:
                    store.mark_best(shot_ids[action.best.frame_id])
                store.log_event(session_id, type(action).__name__, action.message)
        for action in machine.handle(s.Trigger.FINISH, now):
            if isinstance(action, s.SessionEnded):
                store.end_session(session_id, str(action.outcome))
        machine.handle(s.Trigger.RESET, now)
        if count % 2 == 0:
            store.export_zip(session_id, sidecars=count % 4 == 0)
        if count % 3 == 0:
            store.delete_session(session_id)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
