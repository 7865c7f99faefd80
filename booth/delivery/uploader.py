"""The uploader thread: works the outbox one job at a time, off the analysis thread, until the booth stops.

Why one thread and one object at a time: memory stays at one photo, bandwidth is capped by the body's
throttle, and the order the outbox chose (deletes first, a session's page last) holds. The thread runs at a
lowered priority so the analysis loop keeps its frame rate while a backlog drains.

Each job:

* **upload**: render the bytes, HEAD the key; an object there with the same ``x-amz-meta-sha256`` is not
  sent again (the crash between a PUT and its "done" mark), anything else is PUT. Then the job is done.
* **delete**: list the folder and delete everything under it (nothing there is fine: already gone).

A failure keeps the job with its one-line reason (``bucket unreachable at http://...: connection refused;
the upload is retried``) and a retry time ``retry_min_s * 2**attempts``, capped at ``retry_max_s``, with
jitter so a studio's booths coming back online do not all retry in step. Between jobs the thread sleeps
until the next one is due, or until :meth:`Uploader.wake` (a new delivery) or a few seconds pass (a delete
queued by a session's deletion, here or in ``booth retention``).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable

from booth.delivery.render import Renderer, RenderError, SourceGone
from booth.delivery.s3 import Bucket, BucketError
from booth.errors import StorageError
from booth.storage import OutboxJob, Storage

log = logging.getLogger(__name__)

#: Longest sleep with nothing due. Deletions are queued by storage itself (the page's "delete my photos",
#: the operator, ``booth retention`` in another process), with nobody to wake this thread, so it looks this
#: often: one indexed read-only query, nothing for SQLite.
IDLE_S = 5.0
#: Shortest sleep after finding nothing to do (guards against a busy loop on a stale due time).
MIN_SLEEP_S = 0.2
#: The uploader's niceness: below the analysis loop, which runs at the process's own.
NICENESS = 10


class Uploader:
    """The thread that works ``storage``'s outbox against ``bucket``.

    ``stop_event`` is the same event the bucket's body throttle watches, so :meth:`stop` also cuts short
    an upload in flight (it is simply sent again at the next start). ``on_change`` runs on this thread
    after every job (the facade refreshes its cached summary there).
    """

    def __init__(
        self,
        storage: Storage,
        bucket: Bucket,
        renderer: Renderer,
        *,
        retry_min_s: float,
        retry_max_s: float,
        stop_event: threading.Event,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.storage = storage
        self.bucket = bucket
        self.renderer = renderer
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self._stop = stop_event
        self._wake = threading.Event()
        self._on_change = on_change
        self._clock = clock
        self._jitter = jitter
        self._thread: threading.Thread | None = None
        #: The last error talking to the bucket; None when the last request worked (or none was made).
        self.error: str | None = None

    # -- life cycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; a thread that outlived an earlier :meth:`stop` (stuck in one request) is
        told to carry on rather than joined by a second one working the same outbox."""
        self._stop.clear()
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="booth-uploader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the uploader did not stop within %.0f s; it ends with the process", timeout)
            else:
                self._thread = None

    def wake(self) -> None:
        """Look at the outbox now (a delivery was just queued)."""
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        _lower_priority()
        while not self._stop.is_set():
            # Cleared before looking, so a wake() that lands while this pass looks is not lost.
            self._wake.clear()
            try:
                if not self.run_once():
                    self._sleep()
            except StorageError as err:
                log.error("uploader: %s; trying again in %.0f s", err, self.retry_min_s)
                self._stop.wait(self.retry_min_s)
            except Exception:
                log.exception("uploader: unexpected error; trying again in %.0f s", self.retry_min_s)
                self._stop.wait(self.retry_min_s)

    def _sleep(self) -> None:
        due = self.storage.next_outbox_due()
        wait = IDLE_S if due is None else min(IDLE_S, max(MIN_SLEEP_S, due - self._clock()))
        self._wake.wait(wait)

    # -- one job ---------------------------------------------------------------------------------------

    def run_once(self) -> bool:
        """Do the next due job, if any; False when there was none. Raises only :class:`StorageError`.

        Whatever else one job raises is that job's failure, retried with backoff like any other: left
        to escape, the same job would come back first at every pass and hold up the whole queue.
        """
        job = self.storage.next_outbox_job(self._clock())
        if job is None:
            return False
        try:
            if job.kind == "delete":
                self._delete(job)
            else:
                self._upload(job)
        except BucketError as err:
            if self._stop.is_set():
                return True  # cut short by stop(): not a failure, the job simply runs at the next start
            self.error = err.cause
            self._failed(job, f"{err}; the {job.kind} is retried")
        except RenderError as err:
            self._failed(job, f"{err}; the upload is retried")
        except SourceGone as err:
            if self.storage.delivery(job.session_id or 0) is not None:
                self._failed(job, f"{err}; the upload is retried")
            # else: the session went while the job waited; its rows went with it
        except StorageError:
            raise
        except Exception as err:
            log.error("uploader: %s failed unexpectedly", job.key, exc_info=job.attempts == 0)
            why = f"unexpected {type(err).__name__}: {_first_line(err)}"
            self._failed(job, f"{why}; the {job.kind} is retried")
        self._on_change()
        return True

    def _upload(self, job: OutboxJob) -> None:
        rendered = self.renderer.render(job)
        there = self.bucket.head(job.key)
        self.error = None
        if there is not None and there.sha256 == rendered.sha256 and there.size == len(rendered.body):
            log.debug("uploader: %s already in the bucket", job.key)
        else:
            self.bucket.put(job.key, rendered.body, job.content_type, rendered.sha256)
            log.info("uploader: put %s (%d bytes)", job.key, len(rendered.body))
        if not self.storage.outbox_done(job.id, job.kind, rendered.sha256, len(rendered.body)):
            log.info(
                "uploader: %s was put for a session deleted meanwhile; its folder delete removes it", job.key
            )

    def _delete(self, job: OutboxJob) -> None:
        folder = job.key.strip("/")
        if not folder:
            self._failed(job, "a delete job names no folder (the whole bucket); it is kept for the operator")
            return
        count = self.bucket.delete_folder(folder)
        self.error = None
        log.info("uploader: deleted %d object(s) under %s/", count, folder)
        self.storage.outbox_done(job.id, job.kind)

    def _failed(self, job: OutboxJob, error: str) -> None:
        delay = self.backoff(job.attempts)
        log.warning("uploader: %s: %s (next try in %.1f s)", job.key, error, delay)
        self.storage.outbox_failed(job.id, job.kind, error, self._clock() + delay)

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` earlier failures: doubling, capped, jittered."""
        base = min(self.retry_max_s, self.retry_min_s * 2.0 ** min(max(attempts, 0), 40))
        return min(self.retry_max_s, base * (0.8 + 0.4 * self._jitter()))


def _lower_priority() -> None:
    """Renice this thread (Linux threads have their own nice value); best effort, never fatal."""
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, NICENESS))
    except (OSError, AttributeError) as err:
        log.debug("uploader: priority left as is (%s)", err)


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else "no message"
