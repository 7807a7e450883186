"""Adafruit ESP32-S3 Reverse TFT Feather: ST7789 240x135 panel, three buttons, STEMMA QT I2C.

Build the firmware with ulab and microlite (see firmware/; microlite pins MicroPython v1.19.1).
The MLX90640 goes on the STEMMA QT port (I2C SDA 3, SCL 4, powered through GPIO 7).
The board has no SD slot: wire a microSD breakout to its own pins, SCK 14 (A4), MOSI 15 (A3),
MISO 16 (A2), CS 10 (D10). The panel sits on SPI(1) (SPI2 host; SCK 36, MOSI 35, MISO 37),
and machine.SDCard wants an SPI host to itself, so the card gets the other one, SPI3.
Buttons: D0 is active low; D1 and D2 are pulled low and read 1 while pressed.
"""

import sys

from micropython import const

from heatface.boards import ActiveHigh
from heatface.lcd import ST7789Display

LANDSCAPE = const(1)  # st7789py's and st7789_mpy's 135x240 tables: MADCTL 0x60, offsets 40, 53
_I2C_HZ = const(400_000)  # the ESP32-S3's I2C controller is rated to 400 kHz in master mode
_TFT_HZ = const(40_000_000)
_SD_CS = const(10)
_SD_HZ = const(20_000_000)
# The panel's glass is wired RGB and is IPS (needs INVON): both drivers' defaults for their own
# ST7789 init (st7789_mpy: color_order RGB, inversion on; st7789py's init sends INVON, but its
# color_order defaults to BGR, so it is passed). Adafruit's own ST7789 set-up uses RGB order too.
_RGB = const(0x00)


def sd_slot(version=None):
    """machine.SDCard's SPI slot that is the SPI3 host (not the panel's SPI2): MicroPython v1.19.1
    maps slot 2 to SPI2 and slot 3 to SPI3; v1.20 and later map slot 2 to SPI3 on the S3."""
    version = version or sys.implementation.version
    return 3 if tuple(version[:2]) < (1, 20) else 2


def make_tft(driver, spi, reset, cs, dc):
    """The LCD driver object for the panel, landscape: ``driver`` is st7789py or st7789_mpy."""
    if driver.__name__.endswith("st7789py"):
        return driver.ST7789(spi, 135, 240, reset=reset, cs=cs, dc=dc, rotation=LANDSCAPE,
                             color_order=_RGB)
    return driver.ST7789(spi, 135, 240, reset=reset, cs=cs, dc=dc, rotation=LANDSCAPE,
                         color_order=_RGB, inversion=True)


class Board:
    name = "feather_esp32s3_reverse_tft"

    def __init__(self, config):
        self._config = config

    def sensor_bus(self):
        from machine import I2C, Pin

        Pin(7, Pin.OUT, value=1)  # TFT_I2C_POWER: the STEMMA QT port and the panel
        return I2C(0, scl=Pin(4), sda=Pin(3), freq=self._config.get("i2c_hz", _I2C_HZ))

    def display(self):
        from machine import SPI, Pin

        Pin(7, Pin.OUT, value=1)
        spi = SPI(1, baudrate=_TFT_HZ, sck=Pin(36), mosi=Pin(35), miso=Pin(37))
        backlight = Pin(45, Pin.OUT, value=1)
        try:
            import st7789
        except ImportError:
            import st7789py as st7789
        tft = make_tft(st7789, spi, Pin(41, Pin.OUT), Pin(42, Pin.OUT), Pin(40, Pin.OUT))
        return ST7789Display(tft, backlight)

    def buttons(self):
        from machine import Pin

        return {
            "A": Pin(0, Pin.IN, Pin.PULL_UP),
            "B": ActiveHigh(Pin(1, Pin.IN, Pin.PULL_DOWN)),
            "C": ActiveHigh(Pin(2, Pin.IN, Pin.PULL_DOWN)),
        }

    def serial(self):
        """The USB serial console, for the PC view (heatface.stream)."""
        from heatface.stream import StdioSerial

        return StdioSerial()

    def mount_storage(self):
        from heatface.boards import card_factory
        from heatface.storage import mount_sd

        return mount_sd(card_factory(self.sd_card), "/sd")

    def sd_card(self):
        """machine.SDCard in SPI mode on its own host; pins as Pin objects (v1.19.1 rejects ints)."""
        from machine import Pin, SDCard

        return SDCard(slot=sd_slot(), sck=Pin(14), mosi=Pin(15), miso=Pin(16),
                      cs=Pin(self._config.get("sd_cs", _SD_CS)), freq=_SD_HZ)
