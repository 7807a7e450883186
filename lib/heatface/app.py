"""The heatface app: one loop, a frame timer, non-blocking input, and pluggable modes.

``App(board, config).run()`` is all ``main.py`` does. Each :meth:`App.step` polls the buttons,
reads one frame from the sensor (reconnecting with back-off when it is missing), checks that it is
physically possible, draws it, and hands it to the current mode. Modes (:mod:`heatface.modes`)
add behaviour — capture, inference — without touching the loop. Nothing the loop does per frame
allocates after warm-up.

The loop is a supervisor (:meth:`App.supervised_step`): whatever a step or a mode raises is caught,
its traceback goes to the serial console, its message across the image, wrapped to the panel, for
``error_hold_ms`` (frames go on meanwhile), and the loop goes on. A MemoryError first sheds what
can be rebuilt (each mode's ``release(app)``: the classifier with its buffers) and says so.
"""

import gc
from array import array

from heatface.compat import sleep_ms, ticks_add, ticks_diff, ticks_ms
from heatface.render import RangeTracker, frame_range, renderer_for, spot_temperature
from heatface import palettes

PIXELS = 768
# config keys that need heatface.camera (see there); the 5-way DOWN (freeze) loads it too
_CAMERA_KEYS = ("markers", "units", "mirror", "flip", "alarm_c")


class FrameTimer:
    """Frames per second, measured over about a second at a time."""

    def __init__(self, clock=ticks_ms):
        self._clock = clock
        self._start = clock()
        self._count = 0
        self.fps = 0.0

    def tick(self):
        self._count += 1
        now = self._clock()
        elapsed = ticks_diff(now, self._start)
        if elapsed >= 1000:
            self.fps = self._count * 1000.0 / elapsed
            self._start = now
            self._count = 0


class App:
    """The application: give it a board object (see heatface.boards) and a config dict."""

    def __init__(self, board, config, modes=None, clock=None):
        """``config``: as :func:`heatface.config.load_config` returns it (checked); keys it
        lacks take their defaults."""
        from heatface.buttons import Buttons
        from heatface.config import with_defaults
        from heatface.modes import default_modes

        if modes is None:
            # infer mode's native kernels first: their machine code wants one large block (~11 KB),
            # which the app's own allocations below can leave nowhere (heatface.tflite_native)
            from heatface.tflite_native import load

            gc.collect()
            load()
        self.board = board
        self.config = config = with_defaults(config)
        # a board may keep its own time (the simulator's is virtual, for repeatable sessions)
        self.clock = clock or getattr(board, "clock", ticks_ms)
        clock = self.clock
        # the sensor first: its calibration tables are the largest long-lived allocations
        self.sensor = None
        self.sensor_error = None
        self.read_error = None  # the last failed read, shown until a frame comes through again
        self.frame_ok = False  # the current frame is physically possible (modes use only those)
        self.frame_error = None  # why it is not
        self.errors = 0  # exceptions the supervisor caught
        self.last_error = None  # the last one, as shown
        self._error_until = None  # an error is across the image until then
        self._read_failures = 0
        self.recorder = None  # taps the sensor's bus for raw recordings, once asked for one
        self.connect_sensor()
        self.display = board.display()
        self.display.backlight(True)
        self.renderer = renderer_for(self.display, config)
        self.range = RangeTracker(mode=config["range"])
        self.camera = None  # markers, units, mirror/flip, freeze, alarm: loaded when used
        for key in _CAMERA_KEYS:
            if config.get(key):
                self.use_camera()
        self.temps = array("f", bytes(4 * PIXELS))
        self.previous = array("f", bytes(4 * PIXELS))
        self.ambient = 0.0
        self.timer = FrameTimer(clock)
        self.buttons = Buttons(board.buttons(), config["debounce_ms"], config["long_ms"], now=clock())
        self._retry_at = clock()
        self._poll = self.poll_buttons  # bound once: no allocation per frame
        self.status = ""
        self.frames = 0
        self._info = {"lo": None, "hi": None, "spot": None, "fps": None, "mode": "", "status": ""}
        self._showing_error = None  # the message across the blank image, while there is one
        self.modes = modes if modes is not None else default_modes(self)
        self.mode_index = 0
        start = config["start_mode"]
        for i in range(len(self.modes)):
            if self.modes[i].name == start:
                self.mode_index = i
        try:
            self.mode.enter(self)
        except Exception as exc:  # noqa: BLE001 - as in the loop: reported, the app starts
            self.report(exc)
        self.link = None
        serial = board.serial() if hasattr(board, "serial") else None
        if serial is not None:  # the PC view's link (heatface.stream)
            from heatface.stream import Link

            self.link = Link(serial)
        if self.camera is not None and self.camera.warning:
            self.status = self.camera.warning
        if config.get("warnings"):  # the settings file's first problem (all went to serial)
            self.status = config["warnings"][0]
        if config["record_sd"]:
            self.use_recorder().start_card(self)

    @property
    def mode(self):
        return self.modes[self.mode_index]

    # -- sensor ---------------------------------------------------------------------------
    def connect_sensor(self):
        """Try to open the sensor; on failure remember why and retry later."""
        from heatface.mlx90640 import MLX90640, MLX90640Error

        try:
            bus = self.board.sensor_bus()
            cam = MLX90640(bus if self.recorder is None else self.recorder.wrap(bus))
            cam.refresh_rate = self.config["refresh_rate"]
            cam.emissivity = self.config["emissivity"]
        except (OSError, MLX90640Error) as exc:
            self.sensor = None
            self.sensor_error = "Sensor: %s" % exc
            return False
        self.sensor = cam
        self.sensor_error = None
        self.read_error = None
        self._read_failures = 0
        return True

    def _read_frame(self):
        from heatface.mlx90640 import TO_MAX, TO_MIN, MLX90640Error

        prev = self.previous
        self.previous = self.temps
        self.temps = prev
        try:
            # the buttons are polled before each subpage too, so a short tap is not lost
            self.sensor.read_frame(self.temps, self._poll)
        except (OSError, MLX90640Error) as exc:
            self.temps, self.previous = self.previous, self.temps
            self._read_failures += 1
            self.read_error = "Read: %s" % exc
            if self._read_failures >= self.config["max_read_failures"]:
                self.sensor = None
                self.sensor_error = "Sensor lost: %s" % exc
            return False
        self._read_failures = 0
        self.read_error = None
        lo, hi = frame_range(self.temps)  # NaN counts as -4096 degC
        self.frame_ok = TO_MIN <= lo and hi <= TO_MAX
        self.frame_error = None if self.frame_ok else (
            "Implausible frame (%.0f..%.0f C): sensor fault? Not saved" % (lo, hi))
        self.ambient = self.sensor.ta
        return True

    # -- input ----------------------------------------------------------------------------
    def poll_buttons(self):
        """Poll the buttons once and act on what happened; returns the time polled."""
        now = self.clock()
        for kind, name in self.buttons.poll(now):
            self.handle_button(kind, name)
        return now

    def handle_button(self, kind, name):
        """Global keys on the 5-way switch; everything else goes to the mode."""
        camera = self.camera
        if camera is None and kind == "press" and name == "DOWN":
            camera = self.use_camera()
        if camera is not None and camera.on_button(kind, name):
            return
        if kind == "press" and name == "PRESS":
            self.switch_mode(self.mode_index + 1)
        elif kind == "press" and name in ("LEFT", "RIGHT"):
            names = palettes.names()
            i = names.index(self.renderer.palette)
            self.renderer.set_palette(names[(i + (1 if name == "RIGHT" else -1)) % len(names)])
        elif kind == "press" and name == "UP":
            self.range.toggle()
        else:
            self.mode.on_button(self, kind, name)

    def use_recorder(self):
        """The :class:`heatface.recorder.Recorder` on the sensor's bus, created on first use."""
        if self.recorder is None:
            from heatface.recorder import Recorder

            self.recorder = Recorder(self.clock)
            if self.sensor is not None:
                self.sensor._i2c = self.recorder.wrap(self.sensor._i2c)  # tap the driver's bus
        return self.recorder

    def use_camera(self):
        """The :class:`heatface.camera.Camera`, created on first use."""
        if self.camera is None:
            from heatface.camera import Camera

            self.camera = Camera(self.board, self.config)
        return self.camera

    def switch_mode(self, index):
        self.mode.leave(self)
        self.mode_index = index % len(self.modes)
        self.mode.enter(self)

    # -- loop -----------------------------------------------------------------------------
    def step(self):
        """One pass of the loop; returns True when a frame was shown."""
        now = self.poll_buttons()
        if self.sensor is None:
            if ticks_diff(now, self._retry_at) >= 0:
                self._retry_at = ticks_add(now, self.config["sensor_retry_ms"])
                self.connect_sensor()
            if self.sensor is None:
                self.show_error(self.sensor_error or "Sensor missing")
                return False
        if self._showing_error is not None:
            self.renderer.clear()
            self._showing_error = None
        if not self._read_frame():
            self._service_link(False)
            return False
        held = self._error_until is not None  # a caught error is across the image
        if held and ticks_diff(now, self._error_until) >= 0:
            self._error_until = None
            self.renderer.clear()
            held = False
        camera = self.camera
        shown = self.temps if camera is None else camera.shown(self.temps)  # what the LCD shows
        lo, hi = self.range.update(shown)
        if not held:
            self.renderer.draw_frame(shown, lo, hi)
        if camera is not None:
            camera.measure(shown)
            if not held:
                camera.draw(self.renderer, self.clock())
        self.mode.on_frame(self)
        self.timer.tick()
        self.frames += 1
        info = self._info
        info["lo"] = lo
        info["hi"] = hi
        info["spot"] = spot_temperature(shown)
        info["fps"] = self.timer.fps
        info["mode"] = self.mode.title(self)
        rec = self.recorder
        if rec is not None and rec.error:
            self.status, rec.error = rec.error, None
        info["status"] = self.read_error or self.frame_error or self.status
        if camera is not None:
            camera.annotate(info)
        self.renderer.draw_overlay(info)
        self._service_link(True)
        return True

    def _service_link(self, frame_shown):
        if self.link is not None:
            self.link.service(self, frame_shown)

    def show_error(self, message):
        """A blank image with ``message`` across it, wrapped to the panel; the status line keeps
        the app's status (e.g. a refused press). The sensor is retried meanwhile."""
        message += ", retrying"
        if self._showing_error != message:
            from heatface.supervise import show

            show(self.renderer, message)
            self._showing_error = message
        info = self._info
        info["lo"] = info["hi"] = info["spot"] = info["fps"] = None
        info["mode"] = self.mode.title(self)
        info["status"] = self.status or message
        self.renderer.draw_overlay(info)
        self._service_link(False)

    def supervised_step(self):
        """:meth:`step`, with whatever it raises reported (:meth:`report`) instead of raised."""
        try:
            return self.step()
        except Exception as exc:  # noqa: BLE001 - the supervisor: nothing ends the loop
            self.report(exc)
        return False

    def report(self, exc):
        """An exception the loop caught: the traceback on the serial console, the message across
        the image (wrapped) for ``error_hold_ms`` and on the status line, counted in ``errors``
        (:mod:`heatface.supervise`). A MemoryError first frees what can be rebuilt."""
        self.errors += 1
        freed = self.free_memory() if isinstance(exc, MemoryError) else ""
        try:
            from heatface.supervise import report

            report(self, exc, freed)
        except Exception:  # noqa: BLE001 - e.g. no memory for the module: the short form
            print("heatface: error %d: %r%s" % (self.errors, exc, freed))
            self.status = repr(exc)

    def free_memory(self):
        """Out of memory: drop what can be rebuilt (each mode's ``release(app)``) and collect;
        returns what was freed, for the message."""
        freed = []
        for mode in self.modes:
            release = getattr(mode, "release", None)
            what = release(self) if release is not None else None
            if what:
                freed.append(what)
        gc.collect()
        return " (freed: %s)" % ", ".join(freed) if freed else " (nothing left to free)"

    def run(self, max_frames=None):
        """Loop forever, or until ``max_frames`` frames were shown. A board with an
        ``after_frame(app)`` hook (the simulator) gets called after each shown frame. Nothing a
        step raises ends the loop (:meth:`supervised_step`)."""
        after = getattr(self.board, "after_frame", None)
        while max_frames is None or self.frames < max_frames:
            if self.supervised_step():
                if after is not None:
                    after(self)
            else:
                sleep_ms(self.config["retry_sleep_ms"])
