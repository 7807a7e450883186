"""Adafruit ESP32-S3 Reverse TFT Feather: ST7789 240x135 panel, three buttons, STEMMA QT I2C.

Build the firmware with ulab and microlite (see firmware/). The MLX90640 goes on the STEMMA QT
port (I2C SDA 3, SCL 4, powered through GPIO 7). The board has no SD slot: wire a microSD
breakout to the SPI pins (SCK 36, MOSI 35, MISO 37) with CS on D10 (GPIO 10).
Buttons: D0 is active low; D1 and D2 are pulled low and read 1 while pressed.
"""

from micropython import const

from heatface.boards import ActiveHigh
from heatface.lcd import ST7789Display

_LANDSCAPE = const(1)
_I2C_HZ = const(1_000_000)
_TFT_HZ = const(40_000_000)
_SD_CS = const(10)


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
        tft = st7789.ST7789(spi, 135, 240, reset=Pin(41, Pin.OUT), cs=Pin(42, Pin.OUT),
                            dc=Pin(40, Pin.OUT), rotation=_LANDSCAPE)
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
        from machine import SDCard

        from heatface.storage import mount_sd

        card = SDCard(slot=2, sck=36, mosi=35, miso=37, cs=self._config.get("sd_cs", _SD_CS))
        return mount_sd(card, "/sd")
