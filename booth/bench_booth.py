"""``make bench``'s line for the running service: CPU per camera frame by stage, and a memory soak.

What it runs: ``booth run`` itself, built and served by :func:`booth.commands.run.build` and
:func:`booth.commands.run.serve` (the same settings, server, service and signal handling), on a fresh
temporary data folder, the replay camera on a real clip (``single_face.mp4``, 30 fps) and mock pins, on a
free port of 127.0.0.1. Two clients read for the whole run as the kiosk screen on the same machine would
(127.0.0.1, asking for the booth by its address): the live preview (``/stream.mjpg``) and the event
stream (``/api/events``), each reopened when the booth recycles it. The booth stays idle (no sitter), so
what is measured is what it costs to watch all day. On a clip with nobody in view (``--clip no_face.mp4``)
it rests after ``--standby-after`` seconds (the booth's own 30 unless given; 0 never rests), and what is
measured is the empty booth's cost between sitters: ``make bench`` prints that too, as ``booth_empty:``.

What it reports, over ``--soak-frames`` camera frames after ``--warmup`` frames (one-time allocations and
the models' first runs are done by then): the CPU per camera frame of each stage
(:mod:`booth.cpu_ledger`: camera conversion, analysis, preview JPEG, events), "other" (the process's CPU
that no stage claims: the server's socket writes, storage, the session runner, and with more than one
interpreter thread the models' own worker threads and the emotion model's helper thread, whose CPU is not
the analysis thread's), their total, the camera's
and the analysis's frames per second, and the resident memory at the start and the end of the soak, which
must stay flat within :data:`RSS_BUDGET_PCT`. The bench's own threads (the two clients and the one that
measures) are left out of the process's CPU: their thread clocks are read and subtracted.

Why a child process (:func:`run_in_child`): the perception bench has MediaPipe loaded, which would sit in
the booth's memory and in its CPU. The child also undoes the perception bench's pinning to one core: the
booth runs on every core, as on the Pi.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from booth import assets
from booth.commands import run as run_command
from booth.cpu_ledger import ANALYSIS, CONVERSION, EVENTS, PREVIEW, CpuSplit
from booth.errors import BoothError

if TYPE_CHECKING:
    from booth.service import BoothService

log = logging.getLogger(__name__)

DEFAULT_CLIP = "single_face.mp4"
DEFAULT_SOAK = 10_000
#: One minute at 30 fps: one-time allocations, the models' first runs and the first heap trim
#: (:mod:`booth.memory`) are behind the soak's start; before that resident memory is still settling.
DEFAULT_WARMUP = 1800
#: Resident memory is sampled about once a second over the soak. The heap trim (:mod:`booth.memory`) makes
#: it a sawtooth of about 20 MB with a one-minute period, so start and end are each the mean over a
#: minute's frames (one period) at that end of the soak, not one sample that may fall before or after a trim.
RSS_EVERY_S = 1.0
RSS_WINDOW_FRAMES = 1800
#: How many points of the series the table prints.
RSS_SHOWN = 11
#: Resident memory may grow this much over the soak.
RSS_BUDGET_PCT = 5.0
#: Seconds the booth may take to deliver its first camera frame (the models load first).
STARTUP_S = 120.0
#: Seconds without a new camera frame before the bench gives up.
STALL_S = 30.0
POLL_S = 0.25
STREAMS = ("/stream.mjpg", "/api/events")
LABELS = {
    CONVERSION: "camera conversion",
    ANALYSIS: "analysis",
    PREVIEW: "preview JPEG",
    EVENTS: "events",
}


class BenchError(BoothError, RuntimeError):
    """The booth could not be measured; the text names why."""


def thread_cpu(thread: threading.Thread) -> float:
    """CPU seconds ``thread`` has used so far (its own clock; 0.0 where the platform has none)."""
    if thread.ident is None or not hasattr(time, "pthread_getcpuclockid"):
        return 0.0
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except OSError:  # the thread has ended
        return 0.0


def rss_kb() -> int:
    """This process's resident memory in kB (``VmRSS``), 0 where /proc has none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class StreamClient:
    """One kiosk-like client reading a stream until stopped, and reopening it whenever the booth ends it."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.received = 0  # bytes of the streams' bodies and heads, all openings together
        self.opened = 0
        self.refusal: str | None = None  # the status line of the last answer that was not a 200
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self.thread = threading.Thread(target=self._run, name=f"bench-client{path}", daemon=True)

    def start(self) -> StreamClient:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the booth
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in recv
        self.thread.join(10)

    def _run(self) -> None:
        buffer = bytearray(65536)
        while not self._stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                    self._sock = sock
                    self._read(sock, buffer)
            except OSError as err:
                if not self._stop.is_set():
                    log.warning("bench client %s: %s; reconnecting", self.path, err)
            finally:
                self._sock = None
            self._stop.wait(0.5)

    def _read(self, sock: socket.socket, buffer: bytearray) -> None:
        host = f"127.0.0.1:{self.port}"  # the booth by its own address, as the kiosk asks for it
        sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        head = b""
        while b"\r\n" not in head:
            count = sock.recv_into(buffer)
            if not count:
                return
            head += bytes(buffer[:count])
            self.received += count
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if status.split()[1:2] != ["200"]:
            self.refusal = status
            return
        self.opened += 1
        while not self._stop.is_set():
            count = sock.recv_into(buffer)
            if not count:
                return  # recycled by the booth: reopen
            self.received += count


@dataclass(frozen=True)
class Mark:
    """What the booth and the process had spent at one moment of the run."""

    at: float  # time.monotonic()
    split: CpuSplit
    process_cpu: float
    bench_cpu: float  # the bench's own threads: the clients and the one measuring
    analysed: int
    rss_kb: int
    standby: bool = False  # the booth at rest (booth/service/standby.py)


@dataclass(frozen=True)
class Result:
    """The soak between two marks: the CPU split per camera frame, the rates and the memory growth."""

    start: Mark
    end: Mark
    clip: str
    fps: float
    warmup: int
    standby_after: float = 0.0  # the booth's ``[standby] after_s`` (0: standby off)
    rss_samples: tuple[tuple[int, int], ...] = ()  # (camera frames, kB) about once a second over the soak

    @property
    def frames(self) -> int:
        return self.end.split.frames - self.start.split.frames

    @property
    def seconds(self) -> float:
        return self.end.at - self.start.at

    def ms_per_frame(self) -> dict[str, float]:
        """Each stage, "other" and "total", in CPU milliseconds per camera frame."""
        booth_cpu = (self.end.process_cpu - self.start.process_cpu) - (
            self.end.bench_cpu - self.start.bench_cpu
        )
        return (self.end.split - self.start.split).ms_per_frame_of(booth_cpu)

    def rss_ends_kb(self) -> tuple[float, float]:
        """Mean resident memory over the soak's first and last :data:`RSS_WINDOW_FRAMES` camera frames
        (the marks' own samples when the soak is too short to have any between them)."""
        first = self.start.split.frames + RSS_WINDOW_FRAMES
        last = self.end.split.frames - RSS_WINDOW_FRAMES
        head = [kb for frames, kb in self.rss_samples if frames <= first] or [self.start.rss_kb]
        tail = [kb for frames, kb in self.rss_samples if frames >= last] or [self.end.rss_kb]
        return sum(head) / len(head), sum(tail) / len(tail)

    @property
    def rss_growth_pct(self) -> float:
        start, end = self.rss_ends_kb()
        return 100.0 * (end - start) / start if start > 0 else math.nan

    def rss_series_mb(self) -> list[float]:
        """:data:`RSS_SHOWN` evenly spaced samples of the series, in MB."""
        points = [kb for _, kb in self.rss_samples] or [self.start.rss_kb, self.end.rss_kb]
        step = max(1, len(points) // (RSS_SHOWN - 1))
        return [kb / 1024 for kb in (points[::step] + points[-1:])[:RSS_SHOWN]]

    def lines(self) -> list[str]:
        """The table, then the ``booth:`` line ``make bench`` ends with."""
        ms = self.ms_per_frame()
        camera_fps = self.frames / self.seconds
        analysed_fps = (self.end.analysed - self.start.analysed) / self.seconds
        growth = self.rss_growth_pct
        verdict = "flat" if abs(growth) <= RSS_BUDGET_PCT else "OVER BUDGET"
        ends = (self.start.standby, self.end.standby)
        rest = "at rest at both" if all(ends) else "awake at both" if not any(ends) else "at rest at one"
        standby = f"standby after {self.standby_after:g} s" if self.standby_after > 0 else "standby off"
        out = [
            f"booth run: {self.clip} replayed (camera.fps {self.fps:g}; a video plays at its own rate), one "
            "preview viewer and one event stream",
            f"  {self.frames} camera frames in {self.seconds:.1f} s after {self.warmup} warm-up frames: "
            f"camera {camera_fps:.1f} frames/s, analysed {analysed_fps:.1f} frames/s",
            f"  {standby}: {rest} ends of the soak",
            f"  {'CPU per camera frame':<48}{'ms':>8}{'share':>9}",
        ]
        for key, label in [*LABELS.items(), ("other", "other (server, storage, runner, model workers)")]:
            share = 100.0 * ms[key] / ms["total"] if ms["total"] else math.nan
            out.append(f"  {label:<48}{ms[key]:>8.2f}{share:>7.1f} %")
        out += [
            f"  {'total':<48}{ms['total']:>8.2f}",
            f"  memory: RSS {self.rss_ends_kb()[0] / 1024:.1f} MB over the soak's first minute, "
            f"{self.rss_ends_kb()[1] / 1024:.1f} MB over its last: {growth:+.1f} % ({verdict}; "
            f"budget {RSS_BUDGET_PCT:g} %)",
            "  RSS over the soak, MB: " + " ".join(f"{mb:.0f}" for mb in self.rss_series_mb()),
        ]
        fields = " ".join(f"{key}_ms={ms[key]:.2f}" for key in (*LABELS, "other"))
        out.append(
            f"booth: {fields} camera_fps={camera_fps:.1f} analysed_fps={analysed_fps:.1f} "
            f"cpu_ms_per_frame={ms['total']:.2f} rss_growth_pct={growth:.1f}"
        )
        return out


class Soak:
    """The measuring thread's work: wait for frames, open the clients, warm up, mark, soak, mark."""

    def __init__(self, service: BoothService, port: int, finished: threading.Event) -> None:
        self.service, self.port, self.finished = service, port, finished
        self.clients: list[StreamClient] = []
        self.rss_samples: list[tuple[int, int]] = []  # (camera frames, kB) from the start to the end mark

    def mark(self) -> Mark:
        bench_cpu = time.thread_time() + sum(thread_cpu(c.thread) for c in self.clients)
        return Mark(
            time.monotonic(),
            self.service.cpu_split(),
            time.process_time(),
            bench_cpu,
            self.service.health().frames,
            rss_kb(),
            self.service.status().standby,
        )

    def wait_frames(self, count: int, first_within: float = STALL_S) -> None:
        """Until the camera has delivered ``count`` frames in all; BenchError if frames stop coming."""
        frames, since = self.service.cpu_split().frames, time.monotonic()
        patience = first_within
        while frames < count:
            if self.finished.wait(POLL_S):
                raise BenchError("the booth stopped before the soak ended (interrupted?)")
            now_frames = self.service.cpu_split().frames
            if now_frames > frames:
                frames, since, patience = now_frames, time.monotonic(), STALL_S
            elif time.monotonic() - since > patience:
                fault = self.service.camera.state.fault or "no camera fault reported"
                raise BenchError(f"no camera frame for {patience:g} s ({fault}); check the clip")

    def run(self, warmup: int, soak: int) -> tuple[Mark, Mark]:
        self.wait_frames(1, STARTUP_S)
        self.clients = [StreamClient(self.port, path).start() for path in STREAMS]
        try:
            self.wait_frames(self.service.cpu_split().frames + warmup)
            start = self.mark()
            done = start.split.frames + soak
            per_sample = max(1, round(RSS_EVERY_S * self.service.settings.camera.fps))
            self.rss_samples.append((start.split.frames, start.rss_kb))
            for frames in range(start.split.frames + per_sample, done, per_sample):
                self.wait_frames(frames)
                self.rss_samples.append((self.service.cpu_split().frames, rss_kb()))
            self.wait_frames(done)
            end = self.mark()
            self.rss_samples.append((end.split.frames, end.rss_kb))
        finally:
            for client in self.clients:
                client.stop()
        for client in self.clients:
            if not client.opened:
                why = client.refusal or "no answer"
                raise BenchError(f"{client.path} was never served to the kiosk client ({why})")
        return start, end


def run_args(clip: Path, folder: Path, fps: float, standby_after: float | None = None) -> argparse.Namespace:
    """``booth run --config F --camera replay:CLIP --pins mock --port 0 --data D``, by its own parser;
    F sets the camera's rate and, when given, ``[standby] after_s`` (else the booth's default)."""
    settings = folder / "bench.toml"
    standby = "" if standby_after is None else f"\n[standby]\nafter_s = {float(standby_after)!r}\n"
    settings.write_text(f"[camera]\nfps = {float(fps)!r}\n{standby}")
    parser = argparse.ArgumentParser(prog="booth")
    run_command.register(parser.add_subparsers())
    words = ["run", "--config", str(settings), "--camera", f"replay:{clip}", "--pins", "mock"]
    # --host is 127.0.0.1 by default; --port 0 takes a free one
    return parser.parse_args([*words, "--port", "0", "--data", str(folder / "data")])


def bench(
    clip: Path, folder: Path, fps: float, warmup: int, soak: int, standby_after: float | None = None
) -> Result:
    """Start ``booth run``, soak it from another thread, stop it with SIGTERM as systemd would."""
    args = run_args(clip, folder, fps, standby_after)
    server, service, stopping = run_command.build(args)  # a busy port or a bad folder: its one line
    finished = threading.Event()
    outcome: list[tuple[Mark, Mark] | BaseException] = []
    soaker = Soak(service, server.effective_port, finished)
    main_thread = threading.main_thread().ident
    assert main_thread is not None

    def measure() -> None:
        try:
            outcome.append(soaker.run(warmup, soak))
        except BaseException as err:  # handed to the main thread, which reports it
            outcome.append(err)
        if not finished.is_set():
            signal.pthread_kill(main_thread, signal.SIGTERM)  # `booth run`'s own way to stop

    # After serve() restores this handler, a late SIGTERM from the measuring thread does nothing.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    worker = threading.Thread(target=measure, name="bench-measure", daemon=True)
    worker.start()
    try:
        run_command.serve(args, server, service, stopping)
    finally:
        finished.set()
        worker.join(30)
        signal.signal(signal.SIGTERM, previous)
    if not outcome:
        raise BenchError("the measuring thread did not finish")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    start, end = outcome[0]
    after = service.settings.standby.after_s
    return Result(start, end, clip.name, fps, warmup, after, tuple(soaker.rss_samples))


def use_every_core() -> None:
    """Undo a parent's pinning to one core (the perception bench pins itself): the booth uses them all."""
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):  # a container may allow fewer: keep what we were given
            os.sched_setaffinity(0, range(os.cpu_count() or 1))


def clip_path(name: str) -> Path:
    """A fetched clip of the manifest by name, or a path to a video or image folder."""
    given = Path(name)
    if given.exists():
        return given
    if not any(asset.kind == "media" and asset.file == name for asset in assets.load_manifest()):
        raise BenchError(
            f"no clip {name!r}: give a video or an image folder, or a clip the media manifest names "
            f"(e.g. {DEFAULT_CLIP})"
        )
    return assets.media_path(name)  # not fetched or damaged: its one line says how to fetch it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="booth.bench_booth", description=__doc__.splitlines()[0])
    parser.add_argument("--soak-frames", type=int, default=DEFAULT_SOAK, metavar="N", help="default 10000")
    parser.add_argument(
        "--warmup", type=int, default=DEFAULT_WARMUP, metavar="N", help=f"default {DEFAULT_WARMUP}"
    )
    parser.add_argument("--clip", default=DEFAULT_CLIP, metavar="NAME", help=f"default {DEFAULT_CLIP}")
    parser.add_argument(
        "--fps",
        type=float,
        default=30.0,
        help="camera.fps (default 30); a video replays at its own rate, an image folder at this one",
    )
    parser.add_argument(
        "--standby-after",
        type=float,
        metavar="S",
        help="[standby] after_s: seconds with no face before the booth rests, 0 = never (default: the "
        "booth's own, 30)",
    )
    args = parser.parse_args(argv)
    if args.soak_frames < 1 or args.warmup < 0 or args.fps <= 0:
        parser.error("--soak-frames must be at least 1, --warmup at least 0 and --fps above 0")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    use_every_core()
    try:
        clip = clip_path(args.clip)
        with tempfile.TemporaryDirectory(prefix="booth-bench-") as folder:
            result = bench(clip, Path(folder), args.fps, args.warmup, args.soak_frames, args.standby_after)
    except BoothError as err:
        print(f"booth bench: {err}", file=sys.stderr)
        return 1
    for line in result.lines():
        print(line, flush=True)
    return 0


def run_in_child(soak_frames: int = DEFAULT_SOAK, *extra: str) -> list[str]:
    """``python -m booth.bench_booth --soak-frames N [extra...]`` in a child process: its output lines.

    When the child fails, its one-line reason comes last, as ``booth: not measured (...)``.
    """
    command = [sys.executable, "-m", "booth.bench_booth", "--soak-frames", str(soak_frames), *extra]
    limit = (
        STARTUP_S + 60 + (soak_frames + DEFAULT_WARMUP) / 5
    )  # generous: a loaded machine replays slower, never faster
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return [f"booth: not measured (no result after {limit:.0f} s)"]
    lines = done.stdout.splitlines()
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        lines.append(f"booth: not measured ({errors[-1] if errors else f'exit status {done.returncode}'})")
    return lines


if __name__ == "__main__":
    sys.exit(main())
