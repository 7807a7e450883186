"""On-board half of the cm4 benchmarks (tools/bench/bench_cm4.py): the per-frame kernels.

Runs on the emulated Cortex-M4F board under -icount shift=0, where a guest microsecond is 1,000
instructions. Each ``bench_*`` function prints ``CM4 <name> <instructions>`` per full frame
(two subpages), measured on Melexis' recorded example frames through the light board's replay bus.
The plain names measure the default path, the one heatface picks at run time on this firmware (the
native modules heatface_pixels and heatface_nn where they load, as on a stock Wio Terminal);
``_python`` / ``_viper`` / ``_portable`` names the portable path, and ``CM4PATH <what> <path>``
lines say which path the default was.
"""

import gc
import time
from array import array

from lightboard import ChecksumDisplay, ReplayBus


def _instr(fn, n=1):
    """Instructions per call of ``fn`` (after one warm-up call), collections included."""
    fn()
    gc.collect()
    t0 = time.ticks_us()
    for _ in range(n):
        fn()
    return time.ticks_diff(time.ticks_us(), t0) * 1000 // n


def _report(name, value):
    print("CM4 %s %d" % (name, value))


def _path(what, path):
    print("CM4PATH %s %s" % (what, path))


def _camera(compute="python"):
    from heatface.mlx90640 import MLX90640

    bus = ReplayBus()
    cam = MLX90640(bus, compute=compute)
    cam.emissivity = 0.95
    return cam, bus


def _raw_frames(bus):
    """The two recorded subpages as the driver holds them after a read (native-order words)."""
    out = []
    for sp in (0, 1):
        w = array("h", bytes(2 * 832))
        base = 1664 + sp * 1668
        for i in range(832):
            v = (bus.mem[base + 2 * i] << 8) | bus.mem[base + 2 * i + 1]
            w[i] = v - 65536 if v > 32767 else v
        out.append((w, sp))
    return out


def bench_to():
    """To of a full frame: the default path (cm4_to_instr) and the pure one (cm4_to_instr_python)."""
    temps = array("f", bytes(4 * 768))
    for compute, name in ((None, "to_instr"), ("python", "to_instr_python")):
        cam, bus = _camera(compute)
        if compute is None:
            _path("to", cam.compute)
        raws = _raw_frames(bus)

        def frame():
            for w, sp in raws:
                cam._compute(w, sp, temps)

        _report(name, _instr(frame, 3))
    return temps


class _Recorder:
    """Wraps a bus; keeps the calls of one frame to replay them without the driver."""

    def __init__(self, bus):
        self.bus = bus
        self.calls = []

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=16):
        self.calls.append((0, addr, memaddr, len(buf)))
        self.bus.readfrom_mem_into(addr, memaddr, buf, addrsize)

    def writeto_mem(self, addr, memaddr, buf, addrsize=16):
        self.calls.append((1, addr, memaddr, bytes(buf)))
        self.bus.writeto_mem(addr, memaddr, buf, addrsize)


def bench_read():
    """The driver's I2C work and checks for a full frame, To maths and the fake bus subtracted
    (cm4_read_instr); the bus bytes of a frame (cm4_i2c_bytes_per_frame)."""
    cam, bus = _camera()
    temps = array("f", bytes(4 * 768))
    cam._compute = lambda w, sp, t: None  # the maths is cm4_to_instr
    rec = _Recorder(bus)
    cam._i2c = rec
    cam.read_frame(temps)
    calls = [(k, a, m, bytearray(n) if k == 0 else n) for k, a, m, n in rec.calls]
    n0 = bus.bytes_read + bus.bytes_written
    cam.read_frame(temps)
    frame_bytes = bus.bytes_read + bus.bytes_written - n0
    cam._i2c = bus
    total = _instr(lambda: cam.read_frame(temps), 5)

    def bus_only():
        for kind, addr, memaddr, buf in calls:
            if kind == 0:
                bus.readfrom_mem_into(addr, memaddr, buf)
            else:
                bus.writeto_mem(addr, memaddr, buf)

    fake = _instr(bus_only, 5)
    _report("read_instr", total - fake)
    _report("i2c_bytes_per_frame", frame_bytes)
    _report("i2c_transfers_per_frame", len(calls))


def bench_render(temps):
    """A whole frame drawn (update="full"), default kernels (cm4_render_instr) and viper
    (cm4_render_instr_viper); a changed overlay text (cm4_overlay_instr); LCD bytes."""
    from heatface.render import Renderer

    lcd = ChecksumDisplay(checksum=False)
    viper = Renderer(lcd, update="full", kernels="viper")
    _report("render_instr_viper", _instr(lambda: viper.draw_frame(temps, 25.0, 40.0), 2))
    del viper
    r = Renderer(lcd, update="full")
    _path("render", r.kernels)
    _report("render_instr", _instr(lambda: r.draw_frame(temps, 25.0, 40.0), 3))
    b0 = lcd.bytes_sent
    r.draw_frame(temps, 25.0, 40.0)
    _report("lcd_bytes_render", lcd.bytes_sent - b0)
    info = {"lo": 25.0, "hi": 40.0, "spot": 30.0, "fps": 8.0, "mode": "LIVE", "status": ""}
    r.draw_overlay(info)

    def overlay():
        info["spot"] += 0.1  # a changed value: its text row redrawn, as every frame on the board
        r.draw_overlay(info)

    _report("overlay_instr", _instr(overlay, 10))


def bench_gray_jpeg(temps):
    """to_gray8, default (cm4_gray8_instr) and portable (cm4_gray8_instr_python), and the
    capture's JPEG encoding (cm4_jpeg_instr)."""
    from heatface.grayscale import T_HI, T_LO, gray8_python, to_gray8
    from heatface.jpeg import encode_gray
    from heatface.native import pixels

    gray = bytearray(768)
    _path("gray8", "python" if pixels is None else "native")
    _report("gray8_instr", _instr(lambda: to_gray8(temps, gray), 5))
    scale = 255.0 / (T_HI - T_LO)
    offset = 0.5 - T_LO * scale
    _report("gray8_instr_python", _instr(lambda: gray8_python(temps, gray, scale, offset), 5))
    _report("jpeg_instr", _instr(lambda: encode_gray(gray, 32, 24, 95), 5))


def bench_infer(temps, model="models/heatface.tflite"):
    """One inference of the shipped model, default path (cm4_infer_instr)."""
    from heatface.classifier import Classifier
    from heatface.grayscale import to_gray8

    clf = Classifier.load(model)
    _path("infer", "%s/%s" % (clf.backend, getattr(clf._backend, "it", None) and clf._backend.it.kernels))
    gray = bytearray(768)
    to_gray8(temps, gray, clf.t_lo, clf.t_hi)
    _report("infer_instr", _instr(lambda: clf.classify(gray), 2))


def bench_infer_portable(model="models/heatface.tflite"):
    """The shipped model's invoke on the portable viper kernels (cm4_infer_instr_portable)."""
    from heatface.classifier import _read  # the model as Classifier.load finds it (file or frozen)
    from heatface.tflite import Interpreter

    it = Interpreter(_read(model), kernels="viper")
    for i in range(len(it.input)):
        it.input[i] = (i * 37) & 0xFF
    _report("infer_instr_portable", _instr(it.invoke, 1))


def bench_adafruit():
    """The Adafruit CircuitPython driver's To maths on the same frames (cm4_to_instr_adafruit).
    Its module comes from the host's site-packages (tools/bench/bench_cm4.py puts it in ROMFS);
    a stand-in for adafruit_bus_device's I2CDevice serves it the same EEPROM."""
    import adafruit_standin

    bus = ReplayBus()
    adafruit_standin.install()
    import adafruit_mlx90640

    theirs = adafruit_mlx90640.MLX90640(bus)
    frames = []
    for sp in (0, 1):
        base = 1664 + sp * 1668
        frames.append([(bus.mem[base + 2 * i] << 8) | bus.mem[base + 2 * i + 1] for i in range(834)])
    result = [0.0] * 768

    def frame():
        for f in frames:
            tr = theirs._GetTa(f) - 8
            theirs._CalculateTo(f, 0.95, tr, result)

    _report("to_instr_adafruit", _instr(frame, 1))
    return result
