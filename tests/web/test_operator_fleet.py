"""The operator page's Fleet line with the fleet link on, through Flask's test client against a real
BoothService and a real FleetLink: connected to a real Mosquitto (started here, on 127.0.0.1), and pointed
at a port where nothing listens (a real refused connection). And Start, which a paused booth must not offer
even in the page as first served, before operator.js runs.
"""

from __future__ import annotations

import html
import re

import pytest
from servers.mosquitto import Mosquitto, credentials_file
from support import wait_until
from web_helpers import free_port, login

from booth.config.outbound import FleetSettings
from booth.fleet import FleetLink


def fleet_line(client) -> str:
    page = client.get("/operator").get_data(as_text=True)
    match = re.search(r'<p class="fleet-line" id="op-fleet">(.*?)</p>', page, re.S)
    assert match, "the operator page has no Fleet line"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())


def link_to(service, broker: str, **more) -> FleetLink:
    settings = FleetSettings(enabled=True, broker=broker, booth_id="booth-a", keepalive_s=5, **more)
    link = FleetLink.from_settings(settings, service, "9.9.9-test")
    service.fleet = link
    link.start()
    return link


@pytest.mark.mqtt
def test_the_fleet_line_says_connected_to_a_real_broker(client, service, tmp_path):
    broker = Mosquitto(tmp_path / "broker").start()
    link = link_to(service, broker.url, credentials_file=credentials_file(tmp_path, "booth-a"))
    try:
        login(client)
        wait_until(lambda: link.state().connected, 30, "the fleet link connected to the broker")
        assert fleet_line(client) == f"Fleet: connected to {broker.url}"
    finally:
        link.stop()
        broker.stop()


def test_the_fleet_line_says_why_it_is_not_connected(client, service):
    broker = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens there
    link = link_to(service, broker)
    try:
        login(client)
        wait_until(lambda: link.state().error, 30, "the fleet link's refused connection")
        line = fleet_line(client)
        assert line.startswith(f"Fleet: not connected to {broker}: "), line
        assert link.state().error in line and not link.state().connected
    finally:
        link.stop()


def test_the_fleet_line_when_on_in_the_settings_but_not_running(client, service):
    service.settings.fleet = FleetSettings(enabled=True, broker="mqtt://127.0.0.1:1883", booth_id="booth-a")
    login(client)
    assert fleet_line(client) == "Fleet: on in the settings but not running: the booth's log says why"


def test_a_paused_booth_is_served_without_its_start_button(client, service):
    token = login(client)
    start = '<button class="button primary" id="op-start" type="button">'
    assert start in client.get("/operator").get_data(as_text=True)
    client.post("/operator/pause", data={"csrf_token": token})
    page = client.get("/operator").get_data(as_text=True)
    assert start not in page and 'id="op-start" type="button" hidden>' in page
