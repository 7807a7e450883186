"""App modes: live view, data collection and face classification.

A mode is an object with ``name``, ``enter(app)``, ``leave(app)``, ``on_button(app, kind, name)``,
``on_frame(app)`` (called after each new frame is drawn, ``app.temps`` holds it) and
``title(app)`` (the mode line on screen). The app loop never changes when a mode is added.
"""

from array import array

from heatface.compat import ticks_diff, ticks_ms
from heatface.grayscale import T_HI, T_LO, to_gray8
from heatface.native import pixels as _native

PIXELS = 768


class LiveMode:
    """Just the live thermal view."""

    name = "live"

    def enter(self, app):
        app.status = ""

    def leave(self, app):
        pass

    def on_button(self, app, kind, name):
        # A, B and C capture nothing here: a long press freezes / unfreezes, as the 5-way DOWN does
        # (boards without the switch)
        if kind == "long" and name in ("A", "B", "C"):
            app.use_camera().toggle_freeze()

    def on_frame(self, app):
        pass

    def title(self, app):
        return "LIVE"


def frame_motion(a, b):
    """Mean absolute difference (degC) between two frames: how much the scene moved.

    Two ``array('f')`` go through the native kernel where the firmware has it (bit-identical)."""
    if _native is not None and type(a) is array and type(b) is array:
        try:
            return _native.motion(a, b)
        except (TypeError, ValueError):  # not both float32 frames of one size: the loop decides
            pass
    return frame_motion_python(a, b)


def frame_motion_python(a, b):
    """The portable loop of :func:`frame_motion` (and the reference of its native twin)."""
    total = 0.0
    for i in range(PIXELS):
        d = a[i] - b[i]
        total += d if d > 0 else -d
    return total / PIXELS


def capture_comment(t_lo, t_hi, ta, emissivity):
    """A capture's JPEG comment: its 8-bit mapping and conditions (tools/train.py reads it)."""
    return "heatface t_lo=%.1f t_hi=%.1f ta=%.2f emissivity=%.2f" % (t_lo, t_hi, ta, emissivity)


class CollectMode(LiveMode):
    """Buttons A/B/C save the next fresh frame as ``<label>.<n>.jpg``.

    A press captures one frame; holding the button past ``long_ms`` captures ``burst`` frames in
    all (at most ``MAX_BURST``), one per new frame at the sensor's rate (release does not cut a
    burst short; a second long press, or leaving the mode, does). Frames are taken after the
    press, from a complete new frame that passed the plausibility checks (an implausible frame
    refuses the presses and ends a burst, with a message); every press since the last frame
    counts. Without a sensor a press is refused with a message, not kept for later.
    If the scene moved by more than ``motion_warn`` degC on average since the previous frame,
    the status line says so.
    """

    name = "collect"

    def __init__(self, storage, labels, burst=10, quality=95, motion_warn=0.5,
                 t_lo=T_LO, t_hi=T_HI):
        from heatface.config import MAX_BURST

        self.storage = storage
        self.labels = labels  # button name -> label
        self.burst = max(1, min(burst, MAX_BURST))
        self.quality = quality
        self.motion_warn = motion_warn
        self.t_lo = t_lo
        self.t_hi = t_hi
        self.gray = bytearray(PIXELS)
        self._pending = []  # labels pressed since the last frame, in order
        self._burst_label = None
        self._burst_left = 0

    def enter(self, app):
        app.status = "" if self.storage.ready else self.storage.status

    def leave(self, app):
        self._cancel()

    def _cancel(self):
        del self._pending[:]
        self._burst_left = 0
        self._burst_label = None

    def on_button(self, app, kind, name):
        label = self.labels.get(name)
        if label is None:
            return
        if app.sensor is None:
            if kind == "press":
                app.status = "No sensor: %s not captured" % label
            return
        if kind == "press":
            if label not in self._pending:
                self._pending.append(label)
        elif kind == "long":
            if self._burst_left > 0:  # a second long press stops the running burst
                self._burst_left = 0
                app.status = "Burst of %s stopped" % self._burst_label
            else:  # the press already captured one frame; the burst adds the rest
                self._burst_label = label
                self._burst_left = self.burst - 1

    def on_frame(self, app):
        self.storage.poll(app.clock())
        pending = self._pending
        if not app.frame_ok:  # never saved: the presses and a burst are refused, not kept
            if pending or self._burst_left:
                self._cancel()
                app.status = "Not captured: " + app.frame_error
            return
        if pending:
            while pending:
                self.capture(app, pending.pop(0))
        elif self._burst_left > 0:
            self._burst_left -= 1
            self.capture(app, self._burst_label, True)

    def capture(self, app, label, in_burst=False):
        """Encode the current frame and save it; the outcome goes to the status line."""
        from heatface.jpeg import encode_gray

        to_gray8(app.temps, self.gray, self.t_lo, self.t_hi)
        comment = capture_comment(self.t_lo, self.t_hi, app.ambient, app.config["emissivity"])
        data = encode_gray(self.gray, 32, 24, self.quality, comment)
        name = self.storage.save(label, data, burst=in_burst, ta=app.ambient)
        if name is None:
            app.status = self.storage.status
            self._burst_left = 0  # the card failed: no point going on with a burst
            return False
        moved = frame_motion(app.temps, app.previous)
        if moved > self.motion_warn:
            app.status = "Saved %s (moving: %.1f C)" % (name, moved)
        else:
            app.status = "Saved %s" % name
        return True

    def title(self, app):
        counts = self.storage.counts
        parts = ["COLLECT"]
        for button in ("A", "B", "C"):
            label = self.labels.get(button)
            if label:
                parts.append("%s:%d" % (label, counts.get(label, 0)))
        return " ".join(parts)


class InferMode(LiveMode):
    """Classify each frame with the int8 CNN; show the smoothed label and the timing."""

    name = "infer"

    def __init__(self, model_path, backend=None):
        from heatface.smoothing import Smoother
        from heatface.tflite_native import load

        load()  # the native kernels' machine code wants one large block: taken before frames fragment the heap
        self.model_path = model_path
        self.backend = backend
        self.classifier = None
        self.error = None
        self.gray = bytearray(PIXELS)
        self.smoother = Smoother()
        self.result = "-"
        self.score = 0.0
        self.ms = 0

    def enter(self, app):
        self.smoother.reset()
        if self.classifier is None and self.error is None:
            self.load()
        warnings = getattr(self.classifier, "warnings", ())
        app.status = self.error or ("Model: " + warnings[0] if warnings else "")

    def load(self):
        try:  # importing the interpreter is itself a large allocation: inside the handling
            from heatface.classifier import Classifier

            self.classifier = Classifier.load(self.model_path, backend=self.backend)
        except MemoryError:
            self.classifier = None
            self.error = "Model: too large for this board's RAM"
        except Exception as exc:  # noqa: BLE001 - whatever stops a model loading, the app runs on
            self.error = "Model: %s" % exc

    def release(self, app):
        """Out of memory: drop the classifier (not reloaded; the title says "no model")."""
        if self.classifier is None:
            return None
        self.classifier = None
        self.error = "Model unloaded: out of memory"
        return "classifier unloaded"

    def on_frame(self, app):
        clf = self.classifier
        if clf is None:
            return
        if not app.frame_ok:  # an implausible frame is never classified: no stale result either
            self.result = "-"
            return
        to_gray8(app.temps, self.gray, clf.t_lo, clf.t_hi)
        start = ticks_ms()
        try:
            label, score, _ = clf.classify(self.gray)
        except ValueError as exc:  # ModelError: the backend failed on this frame, no stale result
            self.result = "-"
            app.status = "Model: %s" % exc
            return
        self.ms = ticks_diff(ticks_ms(), start)
        self.score = score
        self.result = self.smoother.update(label, score)
        app.status = "%s %.2f  %d ms" % (label, score, self.ms)  # raw; the title shows the smoothed one
        if app.config["print_predictions"]:
            print("predict %s %.3f raw=%s %d ms" % (self.result, score, label, self.ms))

    def title(self, app):
        return "INFER " + (self.result if self.classifier else "no model")


def default_modes(app):
    """Live, collect and infer, configured from ``app.config`` and ``app.board``."""
    from heatface.storage import Storage

    config = app.config
    storage = Storage.open(app.board, config)
    collect = CollectMode(storage, config["labels"], burst=config["burst"],
                          quality=config["jpeg_quality"])
    infer = InferMode(config["model"], config.get("backend"))
    return [LiveMode(), collect, infer]
