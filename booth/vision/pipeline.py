"""The per-frame perception pipeline: detect or track, landmarks, blendshapes, emotions, geometry.

On video the detector runs only when nothing is tracked, or every ``detect_every`` frames to notice a new
face; otherwise each face's crop comes from its previous landmarks (MediaPipe's VIDEO mode does the same).
With a core to spare, that periodic look runs on a thread of its own beside the frame's analysis, and the
faces it finds join the tracks on the next frame (see :meth:`FacePipeline.analyze`).
A track ends when the landmark model's face-presence probability drops below
:data:`~booth.vision.landmarks.MIN_PRESENCE`.

Perception measures; it does not judge engagement. Each reading carries the gaze angles, and
:mod:`booth.looks` alone decides whether they count as looking into the lens (against the sitter's baseline).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from booth import assets
from booth.vision import eyes, gaze, geometry
from booth.vision.blendshapes import NAMES as BLENDSHAPE_NAMES
from booth.vision.blendshapes import BlendshapeModel
from booth.vision.crop import RotatedRect, within
from booth.vision.detector import Detection, FaceDetector, iou, overlap
from booth.vision.emotion import NAMES as EMOTION_NAMES
from booth.vision.emotion import EmotionModel
from booth.vision.landmarks import MIN_PRESENCE, LandmarkModel, Landmarks, roi_from_landmarks
from booth.vision.light_mesh import LightCalibration, LightMeshModel
from booth.vision.params import VisionParams
from booth.vision.reading import FaceReading
from booth.vision.runtime import Model

log = logging.getLogger(__name__)
#: Whether a face's emotions are wanted, given its blendshape scores (see :meth:`FacePipeline.analyze`).
EmotionsWhen = Callable[[Mapping[str, float]], bool]

#: The emotion crop is the face's eye-level extent grown by this factor (forehead to chin, as FER's
#: training faces were framed).
EMOTION_CROP_SCALE = 1.1
#: Interpreter threads for the blendshape and emotion models whatever ``threads`` says. Each takes under a
#: millisecond, and with more than one thread they already run side by side (emotion on the helper thread):
#: a second XNNPACK worker for each made four busy threads on this 2-core machine, and one each took the
#: threaded frame from 7.8 to 6.1 ms. (Moving the blendshapes to a helper thread too was slower again:
#: 7.6 against 6.7 ms, measured in one process.)
SMALL_MODEL_THREADS = 1
#: Two tracks whose boxes overlap more than this (intersection over the smaller) are one face.
SAME_FACE = 0.5
#: A still is read this many more times, each from the crop its last landmarks give: the detector's crop is
#: coarse (its eye keypoints set the roll), and on the test frames the eye-in-head angle moved by up to
#: 7 degrees between the first and the third reading of one frame, then settled. Video converges by
#: tracking, frame to frame, at no extra cost.
STILL_REFINE_PASSES = 2


class _LazyImage:
    """The frame, with its Pillow copy made only if the detector runs (tracking frames never need it)."""

    def __init__(self, pixels: np.ndarray) -> None:
        self.pixels = pixels
        self._image: Image.Image | None = None

    @property
    def image(self) -> Image.Image:
        if self._image is None:
            self._image = Image.fromarray(self.pixels)
        return self._image


@dataclass
class _Track:
    id: int
    roi: RotatedRect
    age: int = 0
    #: The light mesh's correction, learnt on a full frame of this track (None: none yet).
    calibration: LightCalibration | None = None
    calibrated_last: bool = False  # learnt on the track's latest full frame (else stale)
    since_full: int = 0  # light frames since the latest full frame


@dataclass
class Models:
    """The loaded models; built once per process (loading takes ~50 ms) and shared by pipelines."""

    detector: FaceDetector
    landmarks: LandmarkModel
    blendshapes: BlendshapeModel
    emotion: EmotionModel | None
    canonical: geometry.CanonicalFace
    runtime: str = ""
    light: LightMeshModel | None = None  # FaceMesh v1 + iris, for light tracking
    #: A second thread for work that can overlap within one frame (with ``threads`` above 1), else None.
    helper: ThreadPoolExecutor | None = None
    #: A thread for the periodic look for new faces while faces are tracked when a core is spare for it
    #: (:attr:`VisionParams.look_beside`), else None: the look then overlaps the frame's analysis instead
    #: of adding the detector's time to one frame in ``detect_every``.
    detector_thread: ThreadPoolExecutor | None = None
    #: CPU seconds the helper and detector threads have spent on frames so far: the caller that measures its
    #: own thread's CPU per frame (the booth's CPU split) adds this, which no other thread's clock sees.
    helper_cpu_seconds: float = 0.0
    _cpu_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, params: VisionParams) -> Models:
        """Load the models ``params`` asks for (threads, runtime, the emotion model, the light mesh)."""
        runtime = None if params.runtime == "auto" else params.runtime

        def model(name: str, threads: int = params.threads, fp16: bool = False) -> Model:
            return Model(assets.model_path(name), threads=threads, runtime=runtime, fp16=fp16)

        detector = FaceDetector(model("face_detector"))
        return cls(
            detector=detector,
            landmarks=LandmarkModel(model("face_landmarks", fp16=params.precision == "fp16")),
            blendshapes=BlendshapeModel(model("face_blendshapes", SMALL_MODEL_THREADS)),
            emotion=EmotionModel(model("emotion", SMALL_MODEL_THREADS)) if params.emotions else None,
            canonical=geometry.load_canonical(assets.model_path("face_geometry")),
            runtime=detector.model.runtime,
            light=(
                LightMeshModel(model("face_mesh_v1"), model("iris")) if params.tracking == "light" else None
            ),
            helper=ThreadPoolExecutor(1, thread_name_prefix="vision-helper") if params.threads > 1 else None,
            detector_thread=(
                ThreadPoolExecutor(1, thread_name_prefix="vision-detector") if params.look_beside else None
            ),
        )

    def close(self) -> None:
        """Stop the helper threads (the interpreters need nothing: they go with the last reference)."""
        for pool in (self.helper, self.detector_thread):
            if pool is not None:
                pool.shutdown(wait=True)

    def add_helper_cpu(self, seconds: float) -> None:
        """Count CPU a helper or detector thread spent (two threads add, so under a lock)."""
        with self._cpu_lock:
            self.helper_cpu_seconds += seconds

    def busy_seconds(self, detector: bool = True) -> float:
        """Total time spent inside model invocations so far; ``detector=False`` leaves the detector out (a
        periodic look on the detector thread is no part of the analysing thread's frame)."""
        parts = [self.landmarks.model, self.blendshapes.model]
        if detector:
            parts.append(self.detector.model)
        if self.emotion is not None:
            parts.append(self.emotion.model)
        if self.light is not None:
            parts += self.light.models
        return sum(m.busy_seconds for m in parts)


@dataclass
class FacePipeline:
    """Turns RGB frames into :class:`FaceReading` s. Not thread-safe: one pipeline per analysis thread.

    The models are passed in, not loaded here: loading takes time and memory, and one set serves every
    pipeline of a process (the booth keeps a second pipeline for re-reading stills).
    """

    models: Models
    params: VisionParams

    def __post_init__(self) -> None:
        self._tracks: list[_Track] = []
        self._ids = itertools.count(1)
        self._frame = 0
        #: The periodic look for new faces running on the detector thread, taken on the next frame.
        self._looking: Future[list[Detection]] | None = None
        self._detector_busy = 0.0  # seconds in the detector on this thread during the current frame

    def reset(self) -> None:
        """Forget tracked faces (next frame runs the detector)."""
        self._tracks.clear()
        self._looking = None

    def analyze(
        self,
        pixels: np.ndarray,
        track: bool = True,
        thorough: bool | None = None,
        refine: bool | None = None,
        precise: bool = False,
        emotions: bool | EmotionsWhen = True,
    ) -> list[FaceReading]:
        """Read every face in an HxWx3 uint8 RGB frame; ``track=False`` treats it as an unrelated still.

        ``thorough`` (default: for unrelated stills) adds the tiled search for small faces in group photos;
        ``refine`` (default: for unrelated stills) the :data:`STILL_REFINE_PASSES` extra landmark passes;
        ``precise`` reads this frame with FaceMesh v2 even when light tracking would do (the caller knows
        the look is near its threshold). Stills and a track's first frame are always read with v2.
        ``emotions=False`` skips the emotion model (the caller's looks read no emotion): ``emotions`` is
        then empty. A callable decides per face from its blendshapes (the emotion model then runs after
        them, on this thread): the booth's smile call reads emotions only for a raised mouth.

        While faces are tracked, the look for new ones every ``detect_every`` frames runs on the models'
        detector thread when there is one, and what it found joins the tracks at the start of the next
        call, always that one (waiting for it if need be), so the result does not depend on the threads'
        timing. A face that walks in is tracked one frame later than with the look on this thread; the
        tracked sitter's frames never wait for the detector. A frame that loses every track takes its own
        look at once, as before.
        """
        start = time.perf_counter()
        self._detector_busy = 0.0
        busy_before = self.models.busy_seconds(detector=False)
        image = _LazyImage(pixels)
        timings: dict[str, float] = {}
        if not track:
            self._tracks.clear()
            self._looking = None
        self._take_new_faces(timings)
        detect_now = not self._tracks or self._frame % self.params.detect_every == 0
        self._frame += 1
        detected = False
        if detect_now and track and self._tracks and self.models.detector_thread is not None:
            self._look_for_new_faces(image)
        elif detect_now:
            self._detect(image, timings, tiled=(not track) if thorough is None else thorough)
            detected = True
        refine = (not track) if refine is None else refine
        readings = self._follow(
            image, timings, STILL_REFINE_PASSES if refine else 0, precise or not track, emotions
        )
        if not readings and not detected:
            # Every track was lost this frame: look again at once rather than miss a frame (or take this
            # frame's own look from the detector thread, which is the same look).
            if not self._take_new_faces(timings):
                self._detect(image, timings)
            readings = self._follow(image, timings, emotions=emotions)
        total = (time.perf_counter() - start) * 1000
        invoke = (self.models.busy_seconds(detector=False) - busy_before + self._detector_busy) * 1000
        for reading in readings:
            reading.timings_ms["total"] = total
            reading.timings_ms["models"] = invoke
        return readings

    def _detect(self, image: _LazyImage, timings: dict[str, float], tiled: bool = False) -> None:
        detector = self.models.detector
        t0 = time.perf_counter()
        busy0 = detector.model.busy_seconds
        if tiled:
            detections = detector.detect_tiled(image.image, max_faces=self.params.max_faces)
        else:
            detections = detector.detect(image.image, max_faces=self.params.max_faces)
        # This pipeline's own look is never running now (see analyze); another pipeline's may be, and its time
        # would count here too (a still's read while the live look runs: rare, and only its "models").
        self._detector_busy += detector.model.busy_seconds - busy0
        timings["detect"] = timings.get("detect", 0.0) + (time.perf_counter() - t0) * 1000
        self._add_tracks(detections)

    def _look_for_new_faces(self, image: _LazyImage) -> None:
        """Start the periodic detector run on the detector thread (taken by :meth:`_take_new_faces`)."""
        assert self.models.detector_thread is not None and self._looking is None
        frame = image.image  # Pillow's copy, made here: the caller may reuse its pixels after this call
        detector, models, max_faces = self.models.detector, self.models, self.params.max_faces

        def look() -> list[Detection]:
            began = time.thread_time()
            try:
                return detector.detect(frame, max_faces=max_faces)
            finally:
                models.add_helper_cpu(time.thread_time() - began)

        self._looking = self.models.detector_thread.submit(look)

    def _take_new_faces(self, timings: dict[str, float]) -> bool:
        """Add the faces the detector thread's look found; False when no look was running. Almost always
        it is done by now (it ran beside the last frame); the wait, if any, is this frame's "detect"."""
        looking, self._looking = self._looking, None
        if looking is None:
            return False
        if not looking.done():
            t0 = time.perf_counter()
            detections = looking.result()
            timings["detect"] = timings.get("detect", 0.0) + (time.perf_counter() - t0) * 1000
        else:
            detections = looking.result()
        self._add_tracks(detections)
        return True

    def _add_tracks(self, detections: list[Detection]) -> None:
        """Start a track for each detection no current track covers, up to ``max_faces``."""
        for det in detections:
            box = np.array(det.box)
            tracked = [np.array(t.roi.axis_box()) for t in self._tracks]
            if any(iou(box, np.array([t]))[0] > 0.2 for t in tracked):
                continue
            if len(self._tracks) < self.params.max_faces:
                self._tracks.append(_Track(next(self._ids), det.roi()))

    def _follow(
        self,
        image: _LazyImage,
        timings: dict[str, float],
        refine: int = 0,
        full: bool = False,
        emotions: bool | EmotionsWhen = True,
    ) -> list[FaceReading]:
        readings: list[FaceReading] = []
        kept: list[_Track] = []
        for trk in self._tracks:
            reading = self._read(image, trk, dict(timings), refine, full, emotions)
            if reading is None:
                continue
            if (
                readings
                and overlap(np.array(reading.box), np.array([r.box for r in readings])).max() > SAME_FACE
            ):
                continue
            kept.append(trk)
            readings.append(reading)
        self._tracks = kept
        return readings

    def _landmarks(self, image: _LazyImage, trk: _Track, refine: int, full: bool) -> Landmarks:
        """The track's landmarks on this frame, from FaceMesh v2 or the light mesh.

        v2 reads a track's first frame, every ``full_every``-th frame, and any frame the caller wants
        ``full``; it also learns the light mesh's correction on that frame. The light mesh, corrected,
        reads the frames between (see :mod:`booth.vision.light_mesh`).
        """
        light = self.models.light if self.params.tracking == "light" else None
        if (
            light is not None
            and not full
            and not refine
            and trk.calibration is not None
            and trk.calibrated_last
            and trk.since_full + 1 < self.params.full_every
        ):
            trk.since_full += 1
            return trk.calibration.apply(light.run(image.pixels, trk.roi))
        marks = self._full_landmarks(image, trk.roi, refine)
        trk.since_full = 0
        # Learn the light mesh's correction only when the next frame may be light: a face held near a call
        # reads v2 frame after frame (and a still has no next frame), so the light read would be wasted.
        # Leaving that stretch costs one more full frame, which then learns it.
        trk.calibrated_last = False
        if light is not None and self.params.full_every > 1 and marks.presence >= MIN_PRESENCE and not full:
            light_read = light.run(image.pixels, marks.roi)
            if light_read.presence >= MIN_PRESENCE:  # else its offset would be noise
                trk.calibration = LightCalibration.between(marks, light_read)
                trk.calibrated_last = True
        return marks

    def _full_landmarks(self, image: _LazyImage, roi: RotatedRect, refine: int) -> Landmarks:
        """FaceMesh v2 on ``roi``, then ``refine`` more times, each on the crop the last landmarks give
        (see :data:`STILL_REFINE_PASSES`); a crop without a face is not refined."""
        marks = self.models.landmarks.run(image.pixels, roi)
        for _ in range(refine if marks.presence >= MIN_PRESENCE else 0):
            marks = self.models.landmarks.run(image.pixels, roi_from_landmarks(marks.points))
        return marks

    def _emotions(self, marks: Landmarks, roi: RotatedRect, wanted: bool) -> Callable[[], dict[str, float]]:
        """Start the emotion model on the face; call the result to get the seven scores ({} when skipped).

        With more than one interpreter thread it runs on the models' helper thread while this one does
        the blendshapes and the geometry (TFLite and Pillow release the GIL), and nothing changes in what
        is read.
        """
        model = self.models.emotion
        if model is None or not wanted:
            return dict
        face = within(roi.scaled(EMOTION_CROP_SCALE / 1.5, square=True), marks.matrix, marks.size)

        def read() -> dict[str, float]:
            return dict(zip(EMOTION_NAMES, map(float, model.run(marks.image, face)), strict=True))

        def read_on_helper() -> dict[str, float]:
            start = time.thread_time()
            try:
                return read()
            finally:
                self.models.add_helper_cpu(time.thread_time() - start)

        if self.models.helper is None:
            scores = read()
            return lambda: scores
        return self.models.helper.submit(read_on_helper).result

    def _read(
        self,
        image: _LazyImage,
        trk: _Track,
        timings: dict[str, float],
        refine: int = 0,
        full: bool = False,
        emotions_wanted: bool | EmotionsWhen = True,
    ) -> FaceReading | None:
        m = self.models
        t0 = time.perf_counter()
        marks = self._landmarks(image, trk, refine, full)
        t1 = time.perf_counter()
        timings["landmarks"] = (t1 - t0) * 1000
        if marks.presence < MIN_PRESENCE:
            return None
        points = marks.points
        trk.roi = roi_from_landmarks(points)
        trk.age += 1

        emotions_of = self._emotions(marks, trk.roi, emotions_wanted is True)  # a callable: decided below
        t2 = time.perf_counter()
        timings["emotion"] = (t2 - t1) * 1000  # the whole model when run here; the wait, added below, if not

        blend = m.blendshapes.run(points)
        t3 = time.perf_counter()
        timings["blendshapes"] = (t3 - t2) * 1000

        height, width = image.pixels.shape[:2]
        pose = geometry.solve_pose(points, m.canonical)
        openness = eyes.eye_openness(points)
        blendshapes = dict(zip(BLENDSHAPE_NAMES, map(float, blend), strict=True))
        looking = gaze.measure(points, pose, blendshapes)
        x0, y0 = points[:, :2].min(axis=0)
        x1, y1 = points[:, :2].max(axis=0)
        sharp = geometry.sharpness(marks.crop) * marks.sharpness_gain
        t4 = time.perf_counter()
        timings["geometry"] = (t4 - t3) * 1000
        if callable(emotions_wanted) and emotions_wanted(blendshapes):
            emotions_of = self._emotions(marks, trk.roi, True)
        emotions = emotions_of()
        timings["emotion"] += (time.perf_counter() - t4) * 1000

        return FaceReading(
            box=(float(x0), float(y0), float(x1), float(y1)),
            score=marks.presence,
            landmarks=points,
            blendshapes=blendshapes,
            emotions=emotions,
            head_pose=pose.head_pose(),
            eye_openness=openness,
            eye_state=eyes.state_of(openness, blendshapes, looking.geometric[1]),
            gaze_parts=looking,
            face_size=float((y1 - y0) / height),
            sharpness=sharp,
            frame_size=(width, height),
            track_id=trk.id,
            mesh=marks.mesh,
            timings_ms=timings,
        )
