"""The ESP32-S3 Feather profile's storage and bus set-up: machine.SDCard gets Pin objects
(v1.19.1 rejects ints) and an SPI host other than the panel's, its failures never escape storage
set-up, and I2C runs at 400 kHz. (The Wio Terminal's SD card: tests/device/test_board_sd.py.)"""

import sys

import pytest

import fakes_machine
from heatface.boards import feather_esp32s3_reverse_tft as feather
from heatface.storage import Storage


@pytest.fixture
def machine():
    saved = []
    yield lambda **kw: saved.append(fakes_machine.install(**kw))
    for s in saved:
        fakes_machine.uninstall(s)


class SDCardV119:
    """machine.SDCard as MicroPython v1.19.1's esp32 port checks its arguments: pins must be Pin
    objects ("expecting a pin"); slot 2 is the SPI2 host (the panel's SPI(1)), slot 3 is SPI3."""

    made = []

    def __init__(self, slot=1, width=1, cd=None, wp=None, sck=None, miso=None, mosi=None,
                 cs=None, freq=20000000):
        for pin in (sck, miso, mosi, cs):
            if pin is not None and not isinstance(pin, fakes_machine.Pin):
                raise ValueError("expecting a pin")
        if slot == 2:
            raise OSError(259)  # ESP_ERR_INVALID_STATE: SPI2 already initialised by SPI(1)
        SDCardV119.made.append((slot, sck.id, mosi.id, miso.id, cs.id))
        raise OSError(263)  # ESP_ERR_TIMEOUT: no card answered


def test_feather_sd_card_gets_pins_and_its_own_host(machine, monkeypatch):
    monkeypatch.setattr(sys.implementation, "version", (1, 19, 1), raising=False)
    machine(sdcard=SDCardV119)
    SDCardV119.made.clear()
    ok, message = feather.Board({}).mount_storage()
    assert not ok
    assert SDCardV119.made == [(3, 14, 15, 16, 10)]
    assert feather.sd_slot((1, 19, 1)) == 3 and feather.sd_slot((1, 28, 0)) == 2


def test_feather_sd_failures_never_escape_storage_set_up(machine):
    for error in (ValueError("expecting a pin"), TypeError("unexpected keyword argument"),
                  ImportError("no module named 'machine.SDCard'")):
        class Broken:
            def __init__(self, **kwargs):
                raise error

        machine(sdcard=Broken)
        ok, message = feather.Board({}).mount_storage()
        assert not ok and str(error) in message, message
    storage = Storage.open(feather.Board({}), {"captures_dir": "/sd"})
    assert not storage.ready


def test_feather_i2c_is_400_khz(machine):
    machine()
    feather.Board({}).sensor_bus()
    assert ("I2C", 0, 400_000) in fakes_machine.calls
