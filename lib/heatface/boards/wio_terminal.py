"""Seeed Wio Terminal (SAMD51P19A, MicroPython samd port, board SEEED_WIO_TERMINAL).

ILI9341 320x240 LCD on SPI(7), SD card on SPI(6), Grove I2C = I2C(4), three top buttons and a
5-way switch, all active low. Drivers: st7789_mpy (custom ILI9341 init) or st7789py for the LCD,
micropython-lib ``sdcard`` for the card.
"""

from micropython import const

from heatface.lcd import (ILI9341_INIT, ILI9341_ROTATIONS, MADCTL_BGR, ST7789Display,
                          c_driver_init, py_driver_rotations)

# Upright, landscape, buttons on top: ILI9341_ROTATIONS[3], MADCTL 0xE8 (MY|MX|MV|BGR). Seeed's
# Wio Terminal LCD documentation (wiki.seeedstudio.com Wio-Terminal-LCD-Graphics, -Basic and its
# examples) draws with TFT_eSPI after tft.setRotation(3), whose ILI9341 MADCTL is
# MX|MY|MV|BGR = 0xE8, with the same init (display function control 08 82 27) as ILI9341_INIT.
# st7789_mpy's Wio config calls 0x28 (MV|BGR) rotation 1: the same landscape turned 180 degrees,
# upside down with the buttons on top.
UPRIGHT = const(3)
_I2C_HZ = const(1_000_000)  # the seed ran 2 MHz; 1 MHz is within the MLX90640's Fm+ rating
_LCD_HZ = const(24_000_000)  # SERCOM7: 48 MHz / (2 * (BAUD 0 + 1)), the top rate
# micropython-lib's sdcard re-initialises the bus at its baudrate= argument (default 1.32 MHz).
# SERCOM SPI runs at 48 MHz / (2 * (BAUD + 1)) with BAUD = 48 MHz // (2 * requested) - 1: 12 MHz
# is BAUD 1 exactly; any request from 12.1 to 24 MHz gives BAUD 0 = 24 MHz.
SD_HZ = const(12_000_000)
_BUZZER_HZ = const(2700)  # near the passive buzzer's resonance: loud at half duty


def make_tft(driver, spi, reset, cs, dc):
    """The LCD driver object for the Wio's ILI9341, upright: ``driver`` is the st7789py module or
    st7789_mpy's ``st7789``; ``spi`` and the pins are machine objects (or simulated ones)."""
    if driver.__name__.endswith("st7789py"):  # pure Python: initialises in its constructor
        return driver.ST7789(spi, 240, 320, reset=reset, cs=cs, dc=dc, rotation=UPRIGHT,
                             color_order=MADCTL_BGR, custom_init=ILI9341_INIT,
                             custom_rotations=py_driver_rotations(ILI9341_ROTATIONS))
    return driver.ST7789(spi, 240, 320, reset=reset, cs=cs, dc=dc,
                         custom_init=c_driver_init(ILI9341_INIT), rotations=ILI9341_ROTATIONS,
                         rotation=UPRIGHT, color_order=MADCTL_BGR, inversion=False)


class PwmBuzzer:
    """A passive buzzer on a PWM pin: ``on()`` sounds it, ``off()`` silences it."""

    def __init__(self, pwm):
        self._pwm = pwm

    def on(self):
        self._pwm.duty_u16(32768)

    def off(self):
        self._pwm.duty_u16(0)


class Board:
    name = "wio_terminal"

    def __init__(self, config):
        self._config = config

    def sensor_bus(self):
        from machine import I2C, Pin

        return I2C(4, scl=Pin("PA12"), sda=Pin("PA13"), freq=self._config.get("i2c_hz", _I2C_HZ))

    def display(self):
        from machine import SPI, Pin

        spi = SPI(7, baudrate=_LCD_HZ, sck=Pin("PB20"), mosi=Pin("PB19"), miso=Pin("PB18"))
        backlight = Pin("PC05", Pin.OUT, value=1)
        try:
            import st7789
        except ImportError:
            import st7789py as st7789
        tft = make_tft(st7789, spi, Pin("PC07", Pin.OUT), Pin("PB21", Pin.OUT), Pin("PC06", Pin.OUT))
        return ST7789Display(tft, backlight)

    def buttons(self):
        from machine import Pin

        names = {"A": "BUTTON_1", "B": "BUTTON_2", "C": "BUTTON_3", "UP": "SWITCH_U",
                 "LEFT": "SWITCH_B", "RIGHT": "SWITCH_Y", "DOWN": "SWITCH_X", "PRESS": "SWITCH_Z"}
        return {k: Pin(v, Pin.IN, Pin.PULL_UP) for k, v in names.items()}

    def serial(self):
        """The USB serial console, for the PC view (heatface.stream)."""
        from heatface.stream import StdioSerial

        return StdioSerial()

    def buzzer(self):
        """The built-in buzzer (BUZZER = PD11), as on()/off()."""
        from machine import PWM, Pin

        return PwmBuzzer(PWM(Pin("PD11"), freq=_BUZZER_HZ, duty_u16=0))

    def mount_storage(self):
        from heatface.boards import card_factory
        from heatface.storage import mount_sd

        return mount_sd(card_factory(self.sd_card), "/sd")

    def sd_card(self):
        """The SD card's block device (micropython-lib ``sdcard``; ``make deploy`` installs it)."""
        from machine import SPI, Pin

        import sdcard

        spi = SPI(6, sck=Pin("PC17"), mosi=Pin("PC16"), miso=Pin("PC18"))
        return sdcard.SDCard(spi, Pin("PC19", Pin.OUT), baudrate=self._config.get("sd_hz", SD_HZ))
