"""Simulated buttons: pin-like objects driven by a time script, with contact bounce.

A :class:`ButtonScript` holds level changes ``(time_ms, pin_name, level)`` and a clock ``now``;
``script.pin(name)`` returns an object whose ``value()`` is that pin's level at ``now``, the
interface :class:`heatface.buttons.Buttons` polls. :meth:`ButtonScript.press` adds a realistic
press: the contact chatters for a few ms on closing and on opening before it settles.
Levels are electrical (active low: 0 = pressed). Runs under CPython and MicroPython.
"""


class _Lcg:
    """A tiny deterministic random source (same sequence on both runtimes)."""

    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


class SimPin:
    """One scripted input pin (``value()`` only, as ``machine.Pin`` in input mode)."""

    def __init__(self, script, name):
        self._script = script
        self.name = name

    def value(self):
        return self._script.level(self.name)


class ButtonScript:
    """Scripted pin levels over time; ``now`` (ms) is set by the test before each poll."""

    def __init__(self, names, idle=1, seed=1):
        self.idle = idle
        self.now = 0
        self._changes = {}  # name -> list of (time_ms, level), kept sorted
        for name in names:
            self._changes[name] = []
        self._rand = _Lcg(seed)

    def pin(self, name):
        """The pin-like object for ``name``."""
        return SimPin(self, name)

    def pins(self):
        """A dict name -> pin for every scripted name (what ``Buttons`` takes)."""
        out = {}
        for name in self._changes:
            out[name] = SimPin(self, name)
        return out

    def set(self, time_ms, name, level):
        """Add one level change: from ``time_ms`` on, ``name`` reads ``level``."""
        changes = self._changes[name]
        i = len(changes)
        while i > 0 and changes[i - 1][0] > time_ms:  # keep order; equal times stay in call order
            i -= 1
        changes.insert(i, (time_ms, level))

    def press(self, name, t_down, t_up, bounces=4, bounce_ms=8):
        """Script a press from ``t_down`` to ``t_up`` (ms) with contact bounce at both edges.

        Each edge is followed by ``2 * bounces`` toggles at distinct times within about
        ``bounce_ms`` ms (random, deterministic), ending on the settled level. ``bounces=0``
        gives clean edges.
        """
        active = 1 - self.idle
        self._edge(name, t_down, active, bounces, bounce_ms)
        self._edge(name, t_up, self.idle, bounces, bounce_ms)

    def _edge(self, name, t, level, bounces, bounce_ms):
        self.set(t, name, level)
        if bounces <= 0:
            return
        # 2*k toggles after the edge: other level, back, ... ending on ``level``.
        toggles = 2 * bounces
        spread = max(1, (bounce_ms - toggles) // toggles + 1)
        other = 1 - level
        when = t
        for k in range(toggles):
            when += 1 + self._rand.below(spread)
            self.set(when, name, other if k % 2 == 0 else level)

    def level(self, name):
        """Level of ``name`` at ``now`` (the idle level before the first change)."""
        value = self.idle
        for t, lvl in self._changes[name]:
            if t > self.now:
                break
            value = lvl
        return value

    def end_ms(self):
        """Time of the last scripted change."""
        last = 0
        for name in self._changes:
            changes = self._changes[name]
            if changes and changes[-1][0] > last:
                last = changes[-1][0]
        return last
