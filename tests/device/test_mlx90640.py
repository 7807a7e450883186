"""MLX90640 driver against Melexis' official example: parameters, To on both compute paths,
settings. Runs under CPython (both paths, ulab via the shim) and MicroPython (pure path)."""

import json
import struct
from array import array

from heatface.mlx90640 import (Calibration, EEPROMError, MLX90640, MLX90640Error, DeviceNotFoundError,
                               BusError, FrameError, DataReadyTimeout)
from heatface_sim.mlx90640 import SimulatedMLX90640
from mptest import FLOAT_EPS, data_path, raises, skip

# offsets in tests/data/mlx90640_example.bin (see tests/data/mlx90640_make_fixtures.py)
_EEPROM, _FRAME0, _FRAME1, _TO0, _TO1, _ALPHA, _OFFSET, _KTA, _KV = (
    0, 1664, 3332, 5000, 8072, 11144, 14216, 17288, 20360)


def _words(offset, count):
    with open(data_path("mlx90640_example.bin"), "rb") as f:
        f.seek(offset)
        raw = f.read(2 * count)
    out = array("H", bytes(2 * count))
    for i in range(count):
        out[i] = (raw[2 * i] << 8) | raw[2 * i + 1]
    return out


def _floats(offset):
    with open(data_path("mlx90640_example.bin"), "rb") as f:
        f.seek(offset)
        return array("f", f.read(3072))


def _params():
    with open(data_path("mlx90640_example_params.json")) as f:
        return json.load(f)


def _close(a, b, rel, absolute=0.0):
    return abs(a - b) <= absolute + rel * abs(b)


def _close_to_json(a, b, rel, absolute=0.0):
    """a, computed on this runtime from the EEPROM's integers, matches b, a JSON reference given to
    rel / absolute. On top of that both sides carry this runtime's float rounding: reading b costs
    up to one unit in the last place (MicroPython's float parser is not correctly rounded) and
    computing a half of one (each scalar is one rounded operation on exact values)."""
    return _close(a, b, rel + 1.5 * FLOAT_EPS, absolute)


def test_extracted_scalars_match_melexis():
    cal = Calibration(_words(_EEPROM, 832))
    ref = _params()
    for name in ("kVdd", "vdd25", "vPTAT25", "alphaPTAT", "gainEE", "tgc", "resolutionEE",
                 "calibrationModeEE"):
        assert getattr(cal, name) == ref[name], (name, getattr(cal, name), ref[name])
    # the reference lists these rounded to 6 decimal places, cpAlpha to 11 significant digits
    for name in ("KvPTAT", "KtPTAT", "cpKv", "cpKta", "KsTa"):
        got = getattr(cal, name)
        assert _close_to_json(got, ref[name], 0.0, 5e-7), (name, got, ref[name])
    for name, rel, absolute in (("ksTo", 0.0, 5e-7), ("ct", 0.0, 0.0), ("cpAlpha", 1e-10, 0.0),
                                ("cpOffset", 0.0, 0.0), ("ilChessC", 0.0, 0.0)):
        for got, want in zip(getattr(cal, name), ref[name]):
            assert _close_to_json(got, want, rel, absolute), (name, got, want)
    assert cal.broken == [] and cal.outliers == []
    assert all(v == 65535 for v in ref["brokenPixels"] + ref["outlierPixels"])


def test_extracted_pixel_parameters_match_melexis():
    cal = Calibration(_words(_EEPROM, 832))
    # alpha: float32 on both sides; kta: 8 decimal places in the reference, float32 in the fixture
    for name, offset, rel, absolute in (("alpha", _ALPHA, 1e-6, 0.0), ("offset", _OFFSET, 0.0, 0.0),
                                        ("kta", _KTA, 1e-6, 5e-9)):
        want = _floats(offset)
        got = getattr(cal, name)
        for p in range(768):
            assert _close(got[p], want[p], rel, absolute), (name, p, got[p], want[p])
    want = _floats(_KV)
    for p in range(768):
        assert cal.kv(p) == want[p], (p, cal.kv(p), want[p])


class _ReplayBus:
    """Serves the recorded EEPROM and one recorded frame (RAM, control, subpage) over I2C."""

    def __init__(self, eeprom):
        self.eeprom = eeprom
        self.frame = None

    def readfrom_mem_into(self, addr, mem, buf, addrsize=8):
        assert addr == 0x33 and addrsize == 16
        if mem == 0x2400:
            words, n = self.eeprom, 832
        elif mem == 0x0400:
            words, n = self.frame, 832
        elif mem == 0x8000:
            words, n = (0x0008 | self.frame[833],) if self.frame else (0,), 1
        else:
            words, n = (self.frame[832] if self.frame else 0x1901,), 1
        for i in range(n):
            struct.pack_into(">H", buf, 2 * i, words[i])

    def writeto_mem(self, addr, mem, buf, addrsize=8):
        pass


def _melexis_to(compute):
    bus = _ReplayBus(_words(_EEPROM, 832))
    cam = MLX90640(bus, compute=compute)
    cam.emissivity = 1.0  # the reference used emissivity 1 and Tr = Ta - 8 (the default)
    temps = array("f", bytes(3072))
    worst = 0.0
    for sp, frame_at, to_at in ((0, _FRAME0, _TO0), (1, _FRAME1, _TO1)):
        frame = _words(frame_at, 834)
        assert frame[833] == sp
        bus.frame = frame
        cam._control = frame[832]  # as if set through the properties
        assert cam.read_subpage(temps) == sp
        expected = _floats(to_at)
        for p in cam._idx[sp]:
            worst = max(worst, abs(temps[p] - expected[p]))
    assert worst <= 0.01, worst
    return cam


def test_melexis_example_pure_python_path():
    cam = _melexis_to("python")
    assert 33.9 < cam.ta < 34.1 and 3.2 < cam.vdd < 3.4, (cam.ta, cam.vdd)


def test_melexis_example_ulab_path():
    try:
        import ulab  # noqa: F401
    except ImportError:
        skip("no ulab on this runtime")
    _melexis_to("ulab")


def test_settings_reach_the_control_register():
    sim = SimulatedMLX90640(_words(_EEPROM, 832))
    cam = MLX90640(sim, compute="python")
    assert cam.refresh_rate == 2 and cam.resolution == 18 and cam.chess_mode  # EEPROM defaults
    cam.refresh_rate = 16
    cam.resolution = 19
    cam.chess_mode = False
    assert (sim.control >> 7) & 7 == 5 and (sim.control >> 10) & 3 == 3 and not sim.control & 0x1000
    assert cam.refresh_rate == 16 and cam.resolution == 19 and not cam.chess_mode
    cam.refresh_rate = 0.5
    assert sim.refresh_rate() == 0.5
    raises(ValueError, setattr, cam, "refresh_rate", 3)
    raises(ValueError, setattr, cam, "resolution", 20)
    assert cam.emissivity == 0.95 and cam.reflected_temperature is None
    raises(ValueError, setattr, cam, "emissivity", 0.0)
    cam.reflected_temperature = 20
    assert cam.reflected_temperature == 20.0


def test_exceptions_share_a_base_class():
    for cls in (EEPROMError, DeviceNotFoundError, BusError, FrameError, DataReadyTimeout):
        assert issubclass(cls, MLX90640Error)


def test_compute_choice_is_validated():
    sim = SimulatedMLX90640(_words(_EEPROM, 832))
    raises(ValueError, MLX90640, sim, 0x33, "numpy")
