"""Debounced, edge-triggered buttons, polled from the app loop (no interrupts, no blocking).

One :class:`Buttons` object serves the three top buttons and the 5-way switch alike: it takes a
dict of name -> pin-like object with ``.value()`` (active low by default, as on the Wio Terminal
with ``Pin.PULL_UP``) and is polled with the current time in ms::

    buttons = Buttons({"A": pin_a, "B": pin_b, "C": pin_c, "up": sw_u}, debounce_ms=30, long_ms=800)
    for kind, name in buttons.poll(ticks_ms()):
        ...

Events, at most one of each kind per button per poll, in the order the buttons were given:

- ``("press", name)``: the button went down. Emitted on the first poll that sees the contact
  closed after the button had been quiet (no level change) for ``debounce_ms``, so a press is
  reported without waiting and contact bounce after it is ignored. The app captures here.
- ``("long", name)``: the button has been held for ``long_ms`` since its press (once per press).
  The app starts a burst here (the press already captured the burst's first frame).
- ``("release", name)``: the button went up (same debouncing). A burst ends here.

Debouncing rule: a level change is accepted at once if the previous level had been steady for
``debounce_ms``; otherwise (a bounce) it is accepted once the new level has itself been steady
for ``debounce_ms``. So bounce trains of any length give one press and one release, as long as
each bounce lasts less than ``debounce_ms``. A press shorter than the poll interval can be missed:
poll every 10-20 ms for snappy buttons (e.g. while waiting for the sensor's next subpage).
The first poll (or construction with ``now=ticks_ms()``) reads the buttons without reporting
anything: a button held at boot is down, but gives no press and no long press.
"""

from heatface.compat import ticks_diff

PRESS = "press"
LONG = "long"
RELEASE = "release"


class Buttons:
    """Poll-based debouncer for named active-low (or active-high) pins; see the module notes."""

    def __init__(self, pins, debounce_ms=30, long_ms=800, active_low=True, now=None):
        self.names = tuple(pins)
        self._pins = tuple(pins[name] for name in self.names)
        self.debounce_ms = debounce_ms
        self.long_ms = long_ms
        self._active = 0 if active_low else 1
        n = len(self.names)
        self._down = [False] * n  # debounced state
        self._raw = [False] * n  # last level seen
        self._raw_t = [0] * n  # when the last level change was seen
        self._press_t = [0] * n  # when the current press was accepted
        self._long_sent = [False] * n
        self._started = False
        # Preallocated events and list: polling allocates nothing.
        self._press_ev = tuple((PRESS, name) for name in self.names)
        self._long_ev = tuple((LONG, name) for name in self.names)
        self._release_ev = tuple((RELEASE, name) for name in self.names)
        self._events = []
        if now is not None:
            self.poll(now)

    def is_down(self, name):
        """Debounced state of ``name`` (True while held)."""
        return self._down[self.names.index(name)]

    def held_ms(self, name, now_ms):
        """How long ``name`` has been held (0 when up)."""
        i = self.names.index(name)
        return ticks_diff(now_ms, self._press_t[i]) if self._down[i] else 0

    def poll(self, now_ms):
        """Read every pin once; return the list of events since the last poll.

        The list is reused by the next call: handle (or copy) it before polling again.
        """
        events = self._events
        del events[:]
        debounce = self.debounce_ms
        active = self._active
        if not self._started:
            self._started = True
            for i in range(len(self._pins)):
                level = self._pins[i].value() == active
                self._down[i] = level
                self._raw[i] = level
                self._raw_t[i] = now_ms
                self._press_t[i] = now_ms
                self._long_sent[i] = True  # a button held at boot never turns into a burst
            return events
        for i in range(len(self._pins)):
            level = self._pins[i].value() == active
            if level != self._raw[i]:
                quiet = ticks_diff(now_ms, self._raw_t[i]) >= debounce
                self._raw[i] = level
                self._raw_t[i] = now_ms
                accept = quiet and level != self._down[i]
            else:
                accept = level != self._down[i] and ticks_diff(now_ms, self._raw_t[i]) >= debounce
            if accept:
                self._down[i] = level
                if level:
                    self._press_t[i] = now_ms
                    self._long_sent[i] = False
                    events.append(self._press_ev[i])
                else:
                    events.append(self._release_ev[i])
            elif level and self._down[i] and not self._long_sent[i]:
                if ticks_diff(now_ms, self._press_t[i]) >= self.long_ms:
                    self._long_sent[i] = True
                    events.append(self._long_ev[i])
        return events
