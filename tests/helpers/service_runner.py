"""Child process of tests/test_service_crash.py: runs the real booth on the replay camera until SIGKILLed.

The whole booth (booth.service.BoothService with its real models, policy, session machine and storage)
watches real footage through the replay camera; only the GPIO pins are gpiozero mock pins (the hardware
boundary). Short session settings make it shoot often. It talks to the parent on stdout, one line each:

- ``started <json>``: the service started; the json is what storage recovery found and fixed. It then
  waits for ``go`` on stdin, so the parent can inspect the recovered store while nothing writes to it.
- ``session <id>``: consent given, session ``id`` is stored and shooting.
- ``shot <id> <session id>``: shot ``id`` was committed (its add_shot returned).
- ``ended <id> <state>``: the session was finished or cancelled.

Then start -> consent -> shots -> finish or cancel, forever.

Usage: python service_runner.py DATA_DIR SEED
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import time

from booth import config
from booth.assets import media_path
from booth.errors import BoothError
from booth.hardware import Hardware, mock_pin_factory
from booth.service import BoothService

#: Two looks of one shot each, an eager trigger and no end screen: a shot about every half second, and a
#: session that reaches its review screen after two shots. Approachable twice: the replayed clip shows it
#: often, while its other looks mostly end in retakes (which write only events).
QUICK = {
    "session": {
        "shot_list": "crash",
        "custom_shot_lists": {"crash": ["approachable", "approachable"]},
        "shots_per_look": 1,
        "look_seconds": 4.0,
        "review_timeout": 60.0,
        "end_screen_seconds": 0.0,
        "baseline_timeout": 0.3,  # the replayed clip smiles: no rest face comes, so do not wait for one
    },
    "policy": {"cooldown_s": 0.2, "min_frames": 2, "min_ms": 0.0},
    "storage": {"min_free_mb": 0, "shot_reserve_mb": 0, "jpeg_quality": 80},
}

#: Seconds a session may wait for its shots before the runner ends it anyway.
SESSION_SECONDS = 8.0


def say(*words: object) -> None:
    print(*words, flush=True)


def run_session(service: BoothService, rng: random.Random) -> None:
    service.start_session()
    with service.subscribe() as events:
        status = service.consent().to_json()
        session_id = status["session"]["id"]
        say("session", session_id)
        wanted = rng.randint(1, 3)
        shots = 0
        deadline = time.monotonic() + SESSION_SECONDS
        while shots < wanted and time.monotonic() < deadline:
            got = events.get(0.2)
            event = got.for_listener(trusted=True) if got else None
            if event and event["type"] == "shot":
                shots += 1
                say("shot", event["id"], session_id)
            if service.status().to_json()["state"] not in ("baseline", "shooting"):
                break
    state = service.status().to_json()["state"]
    try:
        if state == "review" and rng.random() < 0.7:
            state = service.finish().to_json()["state"]
        elif state in ("welcome", "baseline", "shooting", "review"):
            state = service.cancel_session().to_json()["state"]
    except BoothError as err:  # the session moved on by itself in between (a timeout): fine
        state = f"{service.status().to_json()['state']} ({err})"
    say("ended", session_id, state)


def main(data_dir: str, seed: int) -> None:
    rng = random.Random(seed)
    settings = config.validate(QUICK)
    hardware = Hardware(settings.pins, pin_factory=mock_pin_factory())
    service = BoothService(
        settings, data_dir, hardware=hardware, camera_spec=f"replay:{media_path('single_face.mp4')}"
    )
    service.start()
    say("started", json.dumps(dataclasses.asdict(service.storage.recovery)))
    if sys.stdin.readline().strip() != "go":
        service.stop()
        return
    while True:
        run_session(service, rng)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
