"""Board profiles: one module per board holds every pin; the app only ever sees a Board object.

The board contract (what :class:`heatface.app.App` uses):

- ``name``: the profile's name.
- ``sensor_bus()``: the I2C bus the MLX90640 is on (machine.I2C methods).
- ``display()``: an object implementing :mod:`heatface.display`'s contract.
- ``buttons()``: a dict of name -> pin-like object whose ``value()`` is 0 while pressed (active
  low), for the names the board has among ``A B C UP DOWN LEFT RIGHT PRESS``.
- ``mount_storage()``: mount the SD card and return the captures directory; raises OSError when
  there is no card.
- optional ``serial()``: the link to the PC for ``make view`` (``write``, ``read_line``; see
  :class:`heatface.stream.StdioSerial`), or None; optional ``buzzer()``: an object with
  ``on()``/``off()`` for the temperature alarm.

``detect()`` picks the profile from the running firmware; a ``"board"`` entry in the config file
on the board overrides it.
"""

import sys

PROFILES = {
    "wio_terminal": "heatface.boards.wio_terminal",
    "feather_esp32s3_reverse_tft": "heatface.boards.feather_esp32s3_reverse_tft",
    "sim": "heatface_sim.board",
}


def detect(machine=None):
    """Name of the profile for this firmware (``machine`` defaults to sys.implementation._machine)."""
    if machine is None:
        machine = getattr(sys.implementation, "_machine", "") or sys.platform
    m = machine.lower()
    if "wio terminal" in m or "wio_terminal" in m:
        return "wio_terminal"
    if "esp32s3" in m or "esp32-s3" in m:
        return "feather_esp32s3_reverse_tft"
    if "linux" in m or "darwin" in m or "unix" in m:
        return "sim"
    raise ValueError("no board profile for %r: set \"board\" in the config file" % machine)


def load(name, config=None):
    """Import the profile ``name`` and return its Board object."""
    if name not in PROFILES:
        raise ValueError("unknown board %r; known: %s" % (name, ", ".join(sorted(PROFILES))))
    module = __import__(PROFILES[name], None, None, ["Board"])
    return module.Board(config or {})


class ActiveHigh:
    """Present an active-high button pin as active-low, the polarity the button logic expects."""

    def __init__(self, pin):
        self._pin = pin

    def value(self):
        return 0 if self._pin.value() else 1


def card_factory(make):
    """``make`` (a board's SD card constructor) as a factory for :func:`heatface.storage.mount_sd`
    that raises only OSError: drivers raise ImportError, ValueError ("expecting a pin"), TypeError
    and more while setting up, and a card that fails to start must never stop the app."""

    def factory():
        try:
            return make()
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported on screen as a storage problem
            raise OSError("SD card set-up failed (%s: %s)" % (type(exc).__name__, exc))

    return factory
