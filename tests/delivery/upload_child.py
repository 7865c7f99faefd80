"""A booth's uploader in a process of its own, for the SIGKILL test: ``python upload_child.py DATA SETTINGS
SESSION [--resume]``.

It opens the data folder's Storage as the booth does (lock and crash recovery), then either delivers the
session (first run) or only resumes the outbox (``--resume``: what a booth restarted after a power cut
does), and exits 0 once the session's link works. ``SETTINGS`` is the DeliverySettings as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from booth.config.outbound import DeliverySettings
from booth.delivery import Delivery
from booth.storage import Storage


def main(argv: list[str]) -> int:
    data, settings_json, session_id = Path(argv[0]), argv[1], int(argv[2])
    resume = "--resume" in argv[3:]
    settings = DeliverySettings.model_validate(json.loads(settings_json))
    storage = Storage(data)
    storage.open()
    delivery = Delivery.from_settings(settings, storage, 92)
    try:
        delivery.start()
        if not resume:
            record = delivery.deliver(session_id)
            print(f"queued {record.folder if record else '-'}", flush=True)
        deadline = time.monotonic() + 120
        while delivery.link_state(session_id).state != "done":
            if time.monotonic() > deadline:
                print("timed out", flush=True)
                return 1
            time.sleep(0.1)
        print("done", flush=True)
        return 0
    finally:
        delivery.stop()
        storage.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
