"""tools/cm4/soak.py's judgement on synthetic runs: what counts as an error, a leak, a static scene,
and the fall-back to the frozen form for a mode that does not fit the default one. (The real soak
on the emulated board: `make soak`; a short one is `make test`'s cm4-soak suite.)"""

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "cm4"))

import soak  # noqa: E402

FRAMES = 3000


def samples(frames=FRAMES, free=50000, leak_per_frame=0.0, every=10, one_off_at=None):
    """(frame, free, hottest pixel) every ``every`` frames; the patch moves a pixel a frame."""
    out = []
    for frame in range(every, frames + 1, every):
        f = free - int(leak_per_frame * frame) // 16 * 16
        if one_off_at is not None and frame >= one_off_at:
            f -= 4096  # a lazy import: once
        out.append((frame, f, frame % 513))
    return out


def result(frames=FRAMES, **kw):
    r = {"mode": "live", "frames": frames, "errors": [], "fits": True, "caught": None}
    r.update(kw)
    return r


def board_text(sample_list, res, extra=""):
    lines = ["SOAK %d %d %d" % s for s in sample_list] + ([extra] if extra else [])
    lines.append("SOAKEND " + json.dumps(res))
    return "\r\n".join(lines) + "\r\n"


def test_output_parses_into_samples_result_and_other_lines():
    s, r, other = soak.parse_output(board_text(samples(30), result(30), "heatface: config note"))
    assert s == [(10, 50000, 10), (20, 50000, 20), (30, 50000, 30)]
    assert r["frames"] == 30 and r["errors"] == []
    assert other == ["heatface: config note"]


def test_a_clean_flat_run_passes():
    assert soak.failures("live", FRAMES, samples(), result(), []) == (0, [])


def test_a_one_off_allocation_in_the_first_window_is_not_a_leak():
    s = samples(one_off_at=300)
    trend = soak.heap_trend(s, 1000)
    assert trend["min_free"] == 50000 - 4096 and trend["drift"] == 0
    assert soak.failures("live", FRAMES, s, result(), []) == (0, [])


def test_a_slow_leak_fails_the_soak():
    s = samples(leak_per_frame=0.5)  # 16 bytes every 32 frames: about 1.5 KB over the run
    trend = soak.heap_trend(s, 1000)
    assert trend["drift"] > soak.TOLERANCE
    errors, reasons = soak.failures("live", FRAMES, s, result(), [])
    assert errors == 0 and len(reasons) == 1 and "heap not flat" in reasons[0]


def test_an_allocation_late_in_the_run_fails_the_soak():
    errors, reasons = soak.failures("live", FRAMES, samples(one_off_at=2500), result(), [])
    assert reasons and "heap not flat" in reasons[0]


def test_noise_within_the_tolerance_passes():
    s = [(f, free - (16 if f % 20 == 0 else 0), h) for f, free, h in samples()]
    assert soak.failures("live", FRAMES, s, result(), []) == (0, [])


@pytest.mark.parametrize("res, other, errors", [
    (result(errors=["Model: too large for this board's RAM"]), [], 1),
    (result(caught=3), [], 3),
    (result(), ["Traceback (most recent call last):", '  File "app.py", line 3, in step',
                "MemoryError: memory allocation failed"], 1),
    (result(errors=["MemoryError: memory allocation failed"]), [], 1),
    # the supervisor counts what it catches and prints it: one error, not two
    (result(caught=1), ["heatface: error 1 in the app loop:", "Traceback (most recent call last):",
                        '  File "app.py", line 3, in step', "ZeroDivisionError: divide by zero"], 1),
])
def test_every_error_is_counted_and_fails_the_soak(res, other, errors):
    n, reasons = soak.failures("live", FRAMES, samples(), res, other)
    assert n == errors and reasons


def test_console_errors_count_each_traceback_once_and_lines_that_read_as_errors():
    lines = ["Traceback (most recent call last):", '  File "a.py", line 1, in f', "ZeroDivisionError: x",
             "heatface: config: burst = 0 is not valid; using 10",
             "Traceback (most recent call last):", '  File "b.py", line 2, in g', "OSError: [Errno 5] EIO",
             "storage error: card removed", "Traceback (most recent call last):"]
    assert soak.console_errors(lines) == ["ZeroDivisionError: x", "OSError: [Errno 5] EIO",
                                          "storage error: card removed", "a traceback cut short"]
    assert soak.console_errors(["heatface: config: burst = 0 is not valid; using 10"]) == []


def test_frames_missing_or_samples_stopping_fail_the_soak():
    n, reasons = soak.failures("live", FRAMES, samples(FRAMES - 100), result(FRAMES - 100), [])
    assert n == 0 and any("frames shown" in r for r in reasons)
    assert any("samples stop" in r for r in reasons)
    assert soak.failures("live", FRAMES, [], None, ["board: the board stopped answering"])[0] == 1


def test_collect_needs_a_capture_for_every_press():
    ok = result(mode="collect", presses=59, captures=59)
    assert soak.failures("collect", FRAMES, samples(), ok, []) == (0, [])
    lost = result(mode="collect", presses=59, captures=57)
    n, reasons = soak.failures("collect", FRAMES, samples(), lost, [])
    assert n == 2 and "57 captures for 59 presses" in reasons[0]
    none = result(mode="collect", presses=0, captures=0)
    assert soak.failures("collect", FRAMES, samples(), none, [])[1]


def test_a_static_scene_fails_the_soak():
    still = [(f, free, 300) for f, free, _ in samples()]
    n, reasons = soak.failures("live", FRAMES, still, result(), [])
    assert any("did not move" in r for r in reasons)


class FakeCM4:
    """run.CM4's shape: a board whose exec feeds canned output to data_consumer byte by byte."""

    outputs = {}  # form -> board output
    booted = []

    def __init__(self, form, files=None, icount=True):
        self.form = soak.images.resolve_form(form)
        self.board = self
        self.proc = self  # QEMU's process: its pid for the CPU time
        self.pid = os.getpid()
        FakeCM4.booted.append(self.form)

    def exec(self, code, timeout=None, data_consumer=None):
        assert "cm4_soak.run('infer'" in code
        for i in range(len(self.outputs[self.form])):
            data_consumer(self.outputs[self.form][i:i + 1])
        return b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def test_a_mode_that_does_not_fit_the_default_form_soaks_frozen(monkeypatch):
    default = soak.images.default_form()
    if default == "frozen":
        pytest.skip("the default form is the frozen one")
    no_fit = result(mode="infer", frames=20, fits=False, errors=["Model: too large for this board's RAM"])
    FakeCM4.outputs = {default: board_text([(10, 30000, 10), (20, 29000, 20)], no_fit).encode(),
                       "frozen": board_text(samples(), result(mode="infer", min_free=50000)).encode()}
    FakeCM4.booted = []
    monkeypatch.setattr(soak, "CM4", FakeCM4)
    s = soak.soak_mode("infer", FRAMES, [default, "frozen"], log=lambda msg: None)
    assert FakeCM4.booted == [default, "frozen"]
    assert s["form"] == "frozen" and not s["default_form"] and s["passed"]
    assert s["board_cpu_seconds"] is not None
    assert s["forms_not_fitting"] and default in s["forms_not_fitting"][0]
    lines = soak.bench_lines({"infer": s})
    assert "BENCH cm4_soak_default_form_infer 0" in lines and "BENCH cm4_soak_errors_infer 0" in lines
    # fitting nowhere is a failure of the last form tried, not a silent skip
    FakeCM4.outputs["frozen"] = FakeCM4.outputs[default]
    s = soak.soak_mode("infer", FRAMES, [default, "frozen"], log=lambda msg: None)
    assert not s["passed"] and s["errors"] >= 1
