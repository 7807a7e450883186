"""Debounced buttons against scripted presses with contact bounce."""

from heatface.buttons import Buttons
from heatface_sim.buttons import ButtonScript


def _run(script, buttons, end_ms, step_ms=1, start_ms=0):
    """Poll every ``step_ms`` from ``start_ms`` to ``end_ms``; return [(t, kind, name), ...]."""
    out = []
    t = start_ms
    while t <= end_ms:
        script.now = t
        for kind, name in buttons.poll(t):
            out.append((t, kind, name))
        t += step_ms
    return out


def _kinds(events):
    return [(kind, name) for _, kind, name in events]


def test_bounce_gives_one_press_and_release():
    script = ButtonScript(("A", "B", "C"), seed=7)
    script.press("A", 100, 300, bounces=5, bounce_ms=12)
    script.press("B", 500, 620, bounces=3, bounce_ms=20)
    script.press("A", 700, 760, bounces=6, bounce_ms=25)
    buttons = Buttons(script.pins(), debounce_ms=30, long_ms=800)
    events = _run(script, buttons, 1200)
    assert _kinds(events) == [
        ("press", "A"), ("release", "A"), ("press", "B"), ("release", "B"),
        ("press", "A"), ("release", "A"),
    ], events
    # The press is reported on the first closed contact, not after the bounce has settled.
    assert [t for t, kind, _ in events if kind == "press"] == [100, 500, 700]


def test_script_really_bounces():
    script = ButtonScript(("A",), seed=3)
    script.press("A", 10, 200, bounces=4, bounce_ms=10)
    levels = []
    for t in range(0, 30):
        script.now = t
        levels.append(script.level("A"))
    changes = sum(1 for i in range(1, len(levels)) if levels[i] != levels[i - 1])
    assert changes == 9, levels  # the edge plus 8 bounce toggles
    assert levels[0] == 1 and levels[-1] == 0


def test_long_press_and_hold_state():
    script = ButtonScript(("A", "B"), seed=11)
    script.press("A", 50, 2000, bounces=4)
    buttons = Buttons(script.pins(), debounce_ms=30, long_ms=800)
    events = _run(script, buttons, 2100)
    assert _kinds(events) == [("press", "A"), ("long", "A"), ("release", "A")], events
    assert events[1][0] == 850
    assert events[2][0] == 2000
    script.now = 1000
    b2 = Buttons(script.pins())
    assert b2.poll(1000) == []  # held when the app started: down, but no press
    assert b2.is_down("A") and b2.held_ms("A", 1100) == 100


def test_short_press_has_no_long():
    script = ButtonScript(("C",))
    script.press("C", 10, 790, bounces=2)
    buttons = Buttons(script.pins(), debounce_ms=30, long_ms=800)
    assert _kinds(_run(script, buttons, 1000)) == [("press", "C"), ("release", "C")]


def test_simultaneous_buttons_and_five_way():
    names = ("A", "B", "C", "up", "down", "left", "right", "press")
    script = ButtonScript(names, seed=5)
    script.press("A", 100, 400)
    script.press("up", 105, 200)
    script.press("press", 300, 1300)
    buttons = Buttons(script.pins(), debounce_ms=20, long_ms=900)
    events = _run(script, buttons, 1500)
    assert _kinds(events) == [
        ("press", "A"), ("press", "up"), ("release", "up"), ("press", "press"),
        ("release", "A"), ("long", "press"), ("release", "press"),
    ], events


def test_slow_polling_still_debounces():
    # A busy app loop polls every 60 ms: every press still gives exactly one press and release.
    script = ButtonScript(("A",), seed=9)
    for k in range(5):
        script.press("A", 1000 * k + 100, 1000 * k + 400, bounces=5, bounce_ms=15)
    for step in (7, 13, 60):
        buttons = Buttons(script.pins(), debounce_ms=30, long_ms=800)
        events = _kinds(_run(script, buttons, 5000, step_ms=step))
        assert events == [("press", "A"), ("release", "A")] * 5, (step, events)


def test_glitch_free_idle_and_held_at_boot():
    script = ButtonScript(("A", "B"))
    script.set(0, "B", 0)  # held while booting
    script.set(500, "B", 1)
    buttons = Buttons(script.pins(), debounce_ms=30, long_ms=100)
    events = _kinds(_run(script, buttons, 800))
    assert events == [("release", "B")], events  # no press, no long for a boot-time hold


def test_active_high_and_events_reused():
    class Pin:
        level = 0

        def value(self):
            return self.level

    pin = Pin()
    buttons = Buttons({"X": pin}, debounce_ms=10, active_low=False)
    first = buttons.poll(0)
    pin.level = 1
    ev = buttons.poll(50)
    assert ev == [("press", "X")]
    assert ev is first  # the same preallocated list every time
    assert buttons.is_down("X") and buttons.held_ms("X", 80) == 30
    assert buttons.poll(60) == []
