"""Seeed Wio Terminal (SAMD51P19A, MicroPython samd port, board SEEED_WIO_TERMINAL).

ILI9341 320x240 LCD on SPI(7), SD card on SPI(6), Grove I2C = I2C(4), three top buttons and a
5-way switch, all active low. Drivers: st7789_mpy (custom ILI9341 init) or st7789py for the LCD,
micropython-lib ``sdcard`` for the card.
"""

from micropython import const

from heatface.lcd import ILI9341_INIT, ILI9341_ROTATIONS, ST7789Display

_LANDSCAPE = const(1)
_I2C_HZ = const(1_000_000)  # the seed ran 2 MHz; 1 MHz is within the MLX90640's Fm+ rating
_LCD_HZ = const(24_000_000)
_SD_HZ = const(20_000_000)
_BUZZER_HZ = const(2700)  # near the passive buzzer's resonance: loud at half duty


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
            import st7789py

            tft = st7789py.ST7789(spi, 240, 320, reset=Pin("PC07", Pin.OUT),
                                  cs=Pin("PB21", Pin.OUT), dc=Pin("PC06", Pin.OUT),
                                  rotation=_LANDSCAPE)
            return ST7789Display(tft, backlight)
        tft = st7789.ST7789(spi, 240, 320, reset=Pin("PC07", Pin.OUT), cs=Pin("PB21", Pin.OUT),
                            dc=Pin("PC06", Pin.OUT), custom_init=ILI9341_INIT,
                            rotations=ILI9341_ROTATIONS, rotation=_LANDSCAPE,
                            color_order=st7789.RGB, inversion=False)
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
        from machine import SPI, Pin

        from heatface.storage import mount_sd

        import sdcard  # micropython-lib; `make deploy` installs it

        spi = SPI(6, baudrate=_SD_HZ, sck=Pin("PC17"), mosi=Pin("PC16"), miso=Pin("PC18"))
        card = sdcard.SDCard(spi, Pin("PC19", Pin.OUT))
        return mount_sd(card, "/sd")
