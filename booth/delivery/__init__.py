"""Cloud delivery: each delivered session's photos, crops and a gallery page, uploaded to an S3 bucket.

Why a facade: the service and the page see one object (:class:`Delivery`) with four questions (deliver
this session, how is the queue, how is this session's link, is the bucket reachable), while each rule has
its own module: :mod:`~booth.delivery.plan` (the unguessable folder and the keys), :mod:`~booth.delivery.page`
(the static page), :mod:`~booth.delivery.render` (the bytes of one object), :mod:`~booth.delivery.throttle`
(bounded bandwidth), :mod:`~booth.delivery.uploader` (the thread) and :mod:`~booth.delivery.s3` (boto3).
The queue itself is storage's outbox, in the booth's SQLite: nothing here outlives a restart, nor needs to.

Presigned or public links, the trade-off the operator chooses with ``delivery.link``:

* **presigned** (the default): the bucket stays private; the QR code and every image on the page carry a
  SigV4 signature that expires after ``link_days`` (7 at most, SigV4's limit). Nothing to set up beyond the
  keys, and nobody can read the bucket without a link; but a client who comes back after a week finds a dead
  link. The days count from the delivery, not from the upload (the QR code is shown at once): a booth
  offline for longer than ``link_days`` uploads photos behind a link that has already expired, and a booth
  whose clock is wrong signs links that expire early. Each link also carries the booth's access key id
  (never the secret), as every presigned URL does.
* **public**: ``booth delivery setup`` grants anonymous GET on the prefix (never listing) and a lifecycle
  rule removes the photos after ``expire_days``. Links are short and last as long as the photos do; the
  folder's 192 random bits are then the only secret, and the studio must allow a public policy on the bucket.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from booth.delivery import plan
from booth.delivery.render import Renderer
from booth.delivery.s3 import KEY_NAMES, Bucket, BucketError
from booth.delivery.throttle import TokenBucket
from booth.delivery.uploader import Uploader
from booth.errors import StorageError
from booth.secrets_file import credentials
from booth.storage import DeliveryRecord, OutboxSummary, Storage

if TYPE_CHECKING:
    from booth.config.outbound import DeliverySettings

log = logging.getLogger(__name__)

__all__ = ["Delivery", "LinkState"]


@dataclass(frozen=True)
class LinkState:
    """A session's cloud link as the kiosk shows it."""

    state: str  # "off" (not delivered to the cloud), "pending", "done" or "failing"
    link: str | None  # the link the QR code encodes (known before the upload is done)
    error: str  # the latest failure's one line ('' unless failing)


OFF = LinkState("off", None, "")
#: How long a session's link state is reused without asking storage (a deletion elsewhere shows within it).
LINK_TTL_S = 1.0


class Delivery:
    """The booth's cloud delivery over ``storage``'s outbox and ``bucket``; built by :meth:`from_settings`."""

    def __init__(
        self,
        settings: DeliverySettings,
        storage: Storage,
        bucket: Bucket,
        jpeg_quality: int,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.bucket = bucket
        stop_event = stop_event or threading.Event()
        renderer = Renderer(storage, jpeg_quality, self._page_url, self._page_note)
        self.uploader = Uploader(
            storage,
            bucket,
            renderer,
            retry_min_s=settings.retry_min_s,
            retry_max_s=settings.retry_max_s,
            stop_event=stop_event,
            on_change=self._changed,
        )
        self._lock = threading.Lock()
        self._summary: OutboxSummary | None = None
        self._generation = 0
        self._links: dict[int, tuple[int, float, LinkState]] = {}

    @classmethod
    def from_settings(cls, settings: DeliverySettings, storage: Storage, jpeg_quality: int) -> Delivery:
        """Read the keys (a one-line :class:`ConfigError` if they are missing or the file is unsafe) and
        build the client; no request is made until the uploader runs."""
        keys = credentials(settings.credentials_file, KEY_NAMES, required=True)
        stop_event = threading.Event()
        bucket = Bucket.from_settings(
            settings, keys, throttle=TokenBucket.from_kbps(settings.max_kbps), cancel=stop_event
        )
        return cls(settings, storage, bucket, jpeg_quality, stop_event)

    # -- life cycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        self.uploader.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.uploader.stop(timeout)

    def wake(self) -> None:
        """Look at the outbox now, e.g. right after deleting a session (else within a few seconds)."""
        self.uploader.wake()

    # -- what the service asks -------------------------------------------------------------------------

    def deliver(self, session_id: int) -> DeliveryRecord | None:
        """Queue the session's upload (local work only: keys, link, one storage call) and wake the uploader.

        A second call keeps the first folder and link. None (logged) if storage fails or the session is gone.
        """
        try:
            known = self.storage.delivery(session_id)
            folder = known.folder if known is not None else plan.new_folder(self.settings.prefix)
            plans = plan.plan_session(folder, self.storage.shots(session_id))
            link = known.link if known is not None else self.link_for(plan.page_key(folder))
            record = self.storage.deliver(session_id, folder, link, plans)
        except (StorageError, BucketError) as err:
            log.error("delivery of session %d not queued: %s", session_id, err)
            return None
        except Exception:  # this runs on the analysis thread, which must carry on whatever happens here
            log.exception("delivery of session %d not queued: unexpected error", session_id)
            return None
        self._changed(refresh=False)
        self.uploader.wake()
        log.info("session %d queued for the bucket under %s/ (%d objects)", session_id, folder, len(plans))
        return record

    def link_for(self, key: str) -> str:
        """The link a client opens for ``key``: presigned for ``link_days``, or its public URL."""
        if self.settings.link == "presigned":
            return self.bucket.presign(key, self.settings.link_days * 86400)
        if self.settings.public_url:
            return f"{self.settings.public_url.rstrip('/')}/{key}"
        return self.bucket.object_url(key)

    def summary(self) -> OutboxSummary:
        """The outbox at a glance; cached (the uploader refreshes it after each job), cheap at 7 Hz."""
        with self._lock:
            cached = self._summary
        if cached is None:
            cached = self.storage.outbox_summary()
            with self._lock:
                self._summary = cached
        return cached

    def link_state(self, session_id: int) -> LinkState:
        """The session's link and whether it works yet; cached until the outbox changes (or a second)."""
        now = time.monotonic()
        with self._lock:
            generation = self._generation
            hit = self._links.get(session_id)
        if hit is not None and hit[0] == generation and now - hit[1] < LINK_TTL_S:
            return hit[2]
        try:
            record = self.storage.delivery(session_id)
        except StorageError as err:
            return LinkState("failing", None, str(err))
        state = OFF if record is None else _state_of(record)
        with self._lock:
            if len(self._links) > 64:
                self._links.clear()
            self._links[session_id] = (generation, now, state)
        return state

    @property
    def connected(self) -> str | None:
        """The last error talking to the bucket; None when the last request worked."""
        return self.uploader.error

    # -- inside --------------------------------------------------------------------------------------

    def _changed(self, refresh: bool = True) -> None:
        """After a job (uploader thread) or a new delivery: drop cached link states, refresh the summary."""
        summary = None
        if refresh:
            try:
                summary = self.storage.outbox_summary()
            except StorageError as err:
                log.warning("outbox summary not refreshed: %s", err)
        with self._lock:
            self._generation += 1
            if refresh and summary is not None:
                self._summary = summary
            elif not refresh:
                self._summary = None

    def _page_url(self, key: str) -> str:
        """How the gallery page links an object: signed (private bucket) or by its name in the folder."""
        if self.settings.link == "presigned":
            return self.bucket.presign(key, self.settings.link_days * 86400)
        return key.rsplit("/", 1)[-1]

    def _page_note(self, record: DeliveryRecord) -> str:
        if self.settings.link == "presigned":
            until = time.localtime(record.created_at + self.settings.link_days * 86400)
            return f"These links work until {time.strftime('%d %B %Y', until)}; save the photos you want."
        return f"These photos are removed after {self.settings.expire_days} days; save the ones you want."


def _state_of(record: DeliveryRecord) -> LinkState:
    if record.done_at is not None:
        return LinkState("done", record.link, "")
    if record.failing:
        return LinkState("failing", record.link, record.last_error)
    return LinkState("pending", record.link, "")
