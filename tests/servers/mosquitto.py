"""A real Mosquitto broker (Debian's /usr/sbin/mosquitto) for the tests, on a free port of 127.0.0.1, and a
studio client to watch it (:class:`Watcher`: plain paho, not the booth's adapter, so what the tests see
is what any dashboard would see).

The broker runs as it would in a studio: no anonymous clients, a password file made with
``mosquitto_passwd`` and the ACL of ``firmware/mosquitto/acl`` (so the tests prove that file too), and
persistence, so :meth:`Mosquitto.restart` is a real broker restart on the same port that keeps the retained
messages it had saved. :meth:`Mosquitto.kill` is a crash (SIGKILL): the broker saves nothing more.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
ACL = Path(__file__).resolve().parents[2] / "firmware" / "mosquitto" / "acl"

#: The test users and their passwords: two booths (their booth ids are their usernames), the studio's
#: operator, and a read-only dashboard.
USERS = {
    "booth-a": "booth-a-secret",
    "booth-b": "booth-b-secret",
    "operator": "operator-secret",
    "dashboard": "dashboard-secret",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Certificates:
    """A test CA, the broker's certificate for 127.0.0.1, and one client certificate per name (CN=name)."""

    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def broker_cert(self) -> Path:
        return self.folder / "broker.crt"

    @property
    def broker_key(self) -> Path:
        return self.folder / "broker.key"

    def client(self, name: str) -> tuple[Path, Path]:
        return self.folder / f"{name}.crt", self.folder / f"{name}.key"


def make_certificates(folder: Path, clients: tuple[str, ...] = ("booth-a",)) -> Certificates:
    """The README's openssl steps: a CA, a broker certificate (SAN IP:127.0.0.1), client certificates."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    openssl(
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-newkey",
        "rsa:2048",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=Test CA",
    )
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, ext in (("broker", ["-extfile", "san.ext"]), *((c, []) for c in clients)):
        cn = "127.0.0.1" if name == "broker" else name
        openssl(
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "rsa:2048",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={cn}",
        )
        openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            "-days",
            "2",
            *ext,
        )
        (folder / f"{name}.key").chmod(0o600)
    return Certificates(folder)


class Mosquitto:
    """One broker in ``folder``: ``start()``, ``stop()`` (SIGTERM: saves its state), ``kill()``,
    ``restart()`` (same port, same persistence file)."""

    def __init__(
        self, folder: Path, users: dict[str, str] | None = None, tls: Certificates | None = None
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.users = dict(USERS if users is None else users)
        self.port = free_port()
        self.tls = tls
        #: The TLS listener (client certificates required, the CN as username), when ``tls`` is given.
        self.tls_port = free_port() if tls else None
        self.host = "127.0.0.1"
        self.log_path = self.folder / "mosquitto.log"
        self.conf = self._write_config()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def _write_config(self) -> Path:
        passwd = self.folder / "passwd"
        passwd.unlink(missing_ok=True)
        for number, (user, password) in enumerate(self.users.items()):
            create = ["-c"] if number == 0 else []
            subprocess.run([MOSQUITTO_PASSWD, "-b", *create, str(passwd), user, password], check=True)
        acl = self.folder / "acl"
        acl.write_text(ACL.read_text(encoding="utf-8"), encoding="utf-8")
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    f"user {getpass.getuser()}",  # as root it would drop to a user locked out of here
                    "per_listener_settings true",
                    f"listener {self.port} {self.host}",
                    "allow_anonymous false",
                    f"password_file {passwd}",
                    f"acl_file {acl}",
                    *self._tls_lines(acl),
                    "persistence true",
                    f"persistence_location {self.folder}/",
                    "autosave_interval 1",
                    "log_dest stdout",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "log_type information",
                    "connection_messages true",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        return conf

    def _tls_lines(self, acl: Path) -> list[str]:
        """firmware/mosquitto/booth.conf's TLS listener, on a free port."""
        if self.tls is None:
            return []
        return [
            f"listener {self.tls_port} {self.host}",
            f"cafile {self.tls.ca}",
            f"certfile {self.tls.broker_cert}",
            f"keyfile {self.tls.broker_key}",
            "require_certificate true",
            "use_identity_as_username true",
            "allow_anonymous false",
            f"acl_file {acl}",
        ]

    def start(self, timeout: float = 20.0) -> Mosquitto:
        log = self.log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({self._proc.returncode}): {self.log()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.kill()  # never leave a broker behind that the test will not stop
        raise RuntimeError(
            f"mosquitto did not listen on {self.port} within {timeout} s: {self.log()[-2000:]}"
        )

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its retained messages and exits."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: a crash; only what the last autosave wrote survives."""
        self._end(signal.SIGKILL)

    def restart(self, kill: bool = False) -> None:
        (self.kill if kill else self.stop)()
        self.start()

    def _end(self, sig: int) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""


class Watcher:
    """A studio client: logs in as ``user`` (or anonymously), subscribes to ``topics``, records every
    message; reconnects by itself when the broker restarts."""

    def __init__(
        self, broker: Mosquitto, user: str | None, password: str | None = None, topics=("booths/#",)
    ):
        self.topics = topics
        self.messages: list[tuple[str, bytes, bool, float]] = []
        self.lock = threading.Lock()
        self.connack: Any = None
        self.connected = threading.Event()
        self.answered = threading.Event()
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5
        )
        client.reconnect_delay_set(1, 2)
        if user is not None:
            client.username_pw_set(user, USERS.get(user) if password is None else password)
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *args: self.connected.clear()
        client.on_message = self._on_message
        self.client = client
        client.connect(broker.host, broker.port, 30)
        client.loop_start()

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        self.connack = reason
        if not reason.is_failure:
            for topic in self.topics:
                client.subscribe(topic, 1)
            self.connected.set()
        self.answered.set()

    def _on_message(self, client, userdata, message) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain), time.time()))

    def received(self, topic: str) -> list[bytes]:
        with self.lock:
            return [payload for t, payload, _r, _at in self.messages if t == topic]

    def last(self, topic: str) -> bytes | None:
        got = self.received(topic)
        return got[-1] if got else None

    def last_json(self, topic: str) -> dict[str, Any] | None:
        payload = self.last(topic)
        return json.loads(payload) if payload else None

    def jsons(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(p) for p in self.received(topic) if p]

    def publish(
        self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False
    ) -> paho.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(10)
        return info

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def credentials_file(folder: Path, user: str, password: str | None = None) -> Path:
    path = folder / f"{user}.env"
    path.write_text(f"MQTT_USERNAME={user}\nMQTT_PASSWORD={USERS[user] if password is None else password}\n")
    path.chmod(0o600)
    return path
