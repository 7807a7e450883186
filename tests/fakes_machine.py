"""A stand-in ``machine`` module for board-profile tests: records what a profile constructs.

``install(spi_for=..., sdcard=...)`` puts it into ``sys.modules`` (remove it with ``uninstall``):
``SPI(id, ...)`` returns ``spi_for[id]`` (simulated buses) after recording the call, ``Pin`` and
``I2C`` record their arguments, ``SDCard`` is the given class (e.g. one with v1.19.1's checks).
"""

import sys

calls = []


class Pin:
    OUT = 1
    IN = 0
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, pin_id, mode=-1, pull=-1, value=None):
        self.id = pin_id
        self.level = value
        calls.append(("Pin", pin_id, mode))

    def init(self, mode=-1, pull=-1, value=None):
        if value is not None:
            self.level = value

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = v

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.level = 1

    def off(self):
        self.level = 0


class I2C:
    def __init__(self, bus_id, scl=None, sda=None, freq=400000):
        self.freq = freq
        calls.append(("I2C", bus_id, freq))


class _Module:
    """Stands in for the module object (MicroPython cannot create module instances)."""


def install(spi_for=None, sdcard=None):
    module = _Module()
    module.Pin = Pin
    module.I2C = I2C

    def spi(bus_id, *args, **kwargs):
        calls.append(("SPI", bus_id, kwargs.get("baudrate")))
        return spi_for[bus_id]

    module.SPI = spi
    if sdcard is not None:
        module.SDCard = sdcard
    del calls[:]
    saved = sys.modules.get("machine")
    sys.modules["machine"] = module
    return saved


def uninstall(saved):
    if saved is None:
        del sys.modules["machine"]
    else:
        sys.modules["machine"] = saved
