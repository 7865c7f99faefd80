"""Child process of test_fleet_link.py: a real booth with its fleet link, running until SIGKILLed.

The booth service is the real one on the replayed clip with gpiozero's mock pins; the fleet link is built
from settings as ``booth run`` builds it. The parent kills this process with SIGKILL (no clean stop, no
"offline" from us) and checks that the broker publishes the link's last will instead.

Usage: python fleet_child.py BROKER_URL BOOTH_ID CREDENTIALS_FILE DATA_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from booth import config
from booth.assets import media_path
from booth.config.outbound import FleetSettings
from booth.fleet import FleetLink
from booth.hardware import Hardware, mock_pin_factory
from booth.service import BoothService


def main(broker: str, booth_id: str, credentials: str, data_dir: str) -> None:
    settings = config.validate({})
    hardware = Hardware(settings.pins, pin_factory=mock_pin_factory())
    service = BoothService(
        settings, Path(data_dir), hardware=hardware, camera_spec=f"replay:{media_path('single_face.mp4')}"
    )
    service.start()
    fleet = FleetSettings(
        enabled=True, broker=broker, booth_id=booth_id, credentials_file=Path(credentials), keepalive_s=5
    )
    link = FleetLink.from_settings(fleet, service, "child")
    link.start()
    print("started", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(*sys.argv[1:5])
