"""Simulated serial link and buzzer for the simulated board (CPython and MicroPython)."""


class LoopbackSerial:
    """The board's end of a serial link in memory: the test writes command lines with
    :meth:`host_send` and reads what the board wrote from :attr:`output` (a bytearray)."""

    def __init__(self):
        self.output = bytearray()
        self._lines = []

    def host_send(self, line):
        """Queue one command line (without the newline) for the board."""
        self._lines.append(line)

    def write(self, buf):
        self.output += buf

    def read_line(self):
        return self._lines.pop(0) if self._lines else None


class SimBuzzer:
    """``on()``/``off()`` like the board profiles' buzzers; :attr:`events` lists (time_ms, on)."""

    def __init__(self, clock):
        self._clock = clock
        self.events = []
        self.is_on = False

    def on(self):
        self.is_on = True
        self.events.append((self._clock(), True))

    def off(self):
        self.is_on = False
        self.events.append((self._clock(), False))
