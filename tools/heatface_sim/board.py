"""The simulated board: the same contract as heatface.boards' profiles, on simulated hardware.

Sensor: :class:`heatface_sim.mlx90640.SimulatedMLX90640` built from an EEPROM dump, fed frame by
frame from a scene source (:mod:`heatface_sim.scene`). Display: the board profile's own LCD set-up
(``make_tft``) on the real st7789py driver (or the st7789_mpy model), wired to a register-level
model of the panel's controller (:mod:`heatface_sim.panel`): the frames it saves are what that
board's glass shows. Buttons: a :class:`ButtonScript`. Card: a host folder (``sim_card_dir``) or none.

Time is virtual so a scripted session is the same on every run: ``board.clock()`` (the app uses
it instead of ticks_ms) advances one millisecond per call and a subpage period per subpage the
sensor measures. Config keys (all optional):

- ``sim_eeprom``: EEPROM image (832 big-endian words; default: the Melexis example part).
- ``sim_scene``: a replay file (CSV or .npy); default: a constant warm blob on 22 degC.
- ``sim_buttons``: ``[[name, t_down_ms, t_up_ms], ...]`` presses (with contact bounce).
- ``sim_card_dir``: host folder that plays the SD card; missing key = no card in the slot.
- ``sim_frames``: file to append an LCD dump to every ``sim_frames_every`` shown frames.
- ``sim_temps``: file to append each shown frame's 768 float32 temperatures to (raw, native order).
- ``sim_lcd_record``: False keeps no frame memory (for memory tests on a SAMD51-sized heap).
- ``sim_panel``: the board whose LCD is simulated (default ``wio_terminal``; or
  ``feather_esp32s3_reverse_tft``); ``sim_lcd_driver``: ``st7789py`` (default) or ``st7789_c``.
- ``sim_sensor_missing``: start with the sensor unplugged (it "appears" after N retries if int).
- ``sim_recording``: a raw recording (.hfr) to replay instead of a scene: its EEPROM and its
  subpages, byte for byte (the sensor stops answering with new data after the last one).
- ``sim_realtime``: pace the app to the real clock (the virtual time runs no faster), for ``make view``.
- ``sim_serial``: the PC link: ``"stdio"`` (the console, as a board's USB serial; for the virtual
  board), ``"loopback"`` (a :class:`heatface_sim.loopback.LoopbackSerial` for tests) or absent.
"""

import os

from heatface_sim.buttons import ButtonScript
from heatface_sim.lcd import write_frame
from heatface_sim.mlx90640 import SimulatedMLX90640
from heatface_sim.scene import ConstantScene, ReplayScene

BUTTONS = ("A", "B", "C", "UP", "DOWN", "LEFT", "RIGHT", "PRESS")
DEFAULT_EEPROM = "tests/data/mlx90640_example.bin"


def load_eeprom(path):
    """832 words from the first 1664 bytes (big-endian) of ``path``."""
    with open(path, "rb") as f:
        raw = f.read(1664)
    if len(raw) != 1664:
        raise ValueError("%s: an EEPROM image needs 1664 bytes" % path)
    return [(raw[2 * i] << 8) | raw[2 * i + 1] for i in range(832)]


def default_scene():
    """A 36 degC blob (a face-sized warm spot) in a 22 degC room."""
    from array import array

    temps = array("f", bytes(4 * 768))
    for i in range(768):
        temps[i] = 22.0
    for r in range(6, 18):
        for c in range(11, 21):
            temps[r * 32 + c] = 34.0 + (2.0 if 8 <= r <= 10 else 0.0)
    return ConstantScene(temps, ambient=22.0)


def simulated_lcd(profile, driver="st7789py", record=True):
    """(panel, screen): board ``profile``'s LCD on its simulated controller, set up by the
    profile's own ``make_tft`` with ``driver`` (the real st7789py, or the st7789_mpy model);
    ``screen`` is the display the app draws on (:class:`heatface_sim.panel.PanelScreen`)."""
    from heatface.lcd import ST7789Display
    from heatface_sim.panel import PANELS, PanelScreen

    panel = PANELS[profile](record=record)
    if driver == "st7789py":
        import st7789py as module
    elif driver == "st7789_c":
        from heatface_sim import st7789_c as module
    else:
        raise ValueError("sim_lcd_driver must be 'st7789py' or 'st7789_c', not %r" % (driver,))
    boards = __import__("heatface.boards." + profile, None, None, ["make_tft"])
    tft = boards.make_tft(module, panel.spi, panel.reset_pin, panel.cs, panel.dc)
    return panel, PanelScreen(ST7789Display(tft), panel)


class SceneBus:
    """The I2C bus to the simulated sensor that loads the next scene frame before each frame."""

    def __init__(self, board):
        self._board = board
        self._sensor = board.sensor
        self._loaded_at = -1

    def _advance(self):
        sensor = self._sensor
        measured = sensor.subpages_measured
        if measured != self._board._seen_subpages:
            self._board._time += (measured - self._board._seen_subpages) * self._board.subpage_ms
            self._board._seen_subpages = measured
        if self._board.scene is not None and measured % 2 == 0 and measured != self._loaded_at:
            ambient = self._board.scene.next_frame(self._board.scene_temps)
            sensor.set_scene(self._board.scene_temps, ambient)
            self._loaded_at = measured

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self._advance()
        self._sensor.readfrom_mem_into(addr, memaddr, buf, addrsize)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self._advance()
        self._sensor.writeto_mem(addr, memaddr, buf, addrsize)


class Board:
    name = "sim"

    def __init__(self, config):
        from array import array

        self.config = config
        card = config.get("sim_card_dir")
        if card:  # the simulated card's folder is where captures go
            config["captures_dir"] = card if card.startswith("/") else os.getcwd() + "/" + card
        recording = config.get("sim_recording")
        if recording:
            from heatface_sim.recording import read_recording

            self.recording = read_recording(recording)
            self.sensor = SimulatedMLX90640(self.recording.eeprom)
            self.sensor.play(self.recording.subpages())
        else:
            self.recording = None
            self.sensor = SimulatedMLX90640(load_eeprom(config.get("sim_eeprom", DEFAULT_EEPROM)))
        self.sensor.emissivity = config.get("emissivity", 0.95)
        missing = config.get("sim_sensor_missing", False)
        # an int N: the sensor "gets plugged in" on the N+1th attempt to open it
        self._missing_retries = None if missing is True or missing is False else missing
        self.sensor.present = not missing
        scene = config.get("sim_scene")
        if recording:
            self.scene = None
        else:
            self.scene = ReplayScene(scene) if scene else default_scene()
        self.scene_temps = array("f", bytes(4 * 768))
        self.panel, self.lcd = simulated_lcd(config.get("sim_panel", "wio_terminal"),
                                             config.get("sim_lcd_driver", "st7789py"),
                                             record=config.get("sim_lcd_record", True))
        self.script = ButtonScript(BUTTONS)
        for name, t_down, t_up in config.get("sim_buttons", ()):
            self.script.press(name, t_down, t_up)
        self.subpage_ms = 1000 // (2 * config.get("refresh_rate", 16))
        self._time = 0
        self._seen_subpages = 0
        self._bus = SceneBus(self)
        self._serial = None
        self._buzzer = None
        self._real_start = None
        self._temps_path = config.get("sim_temps")
        if self._temps_path:
            open(self._temps_path, "wb").close()
        self._frames_path = config.get("sim_frames")
        self._frames_every = config.get("sim_frames_every", 1)
        if self._frames_path:
            open(self._frames_path, "wb").close()

    def clock(self):
        """Virtual milliseconds (see the module docstring)."""
        self._time += 1
        self.script.now = self._time
        return self._time

    def sensor_bus(self):
        if self._missing_retries is not None:
            self._missing_retries -= 1
            if self._missing_retries < 0:
                self.sensor.present = True
        return self._bus

    def display(self):
        return self.lcd

    def buttons(self):
        return self.script.pins()

    def serial(self):
        """The PC link's byte pipe (``sim_serial``), or None."""
        kind = self.config.get("sim_serial")
        if kind == "stdio":
            from heatface.stream import StdioSerial

            self._serial = StdioSerial()
        elif kind == "loopback":
            from heatface_sim.loopback import LoopbackSerial

            self._serial = LoopbackSerial()
        return self._serial

    def buzzer(self):
        """A buzzer that remembers when it was switched (:class:`heatface_sim.loopback.SimBuzzer`)."""
        from heatface_sim.loopback import SimBuzzer

        self._buzzer = SimBuzzer(lambda: self._time)  # reads the virtual time without advancing it
        return self._buzzer

    def mount_storage(self):
        folder = self.config.get("captures_dir") if self.config.get("sim_card_dir") else None
        if not folder:
            raise OSError("no SD card")
        try:
            os.mkdir(folder)
        except OSError:
            pass
        return True, "SD card (simulated) at " + folder

    def after_frame(self, app):
        """Called by the simulator's run loop after each shown frame: dump the LCD; with
        ``sim_realtime``, wait until the virtual clock is no longer ahead of the real one."""
        if self.config.get("sim_realtime"):
            from heatface.compat import sleep_ms, ticks_diff, ticks_ms

            if self._real_start is None:
                self._real_start = (ticks_ms(), self._time)
            ahead = (self._time - self._real_start[1]) - ticks_diff(ticks_ms(), self._real_start[0])
            if ahead > 0:
                sleep_ms(ahead)
        if self._temps_path:
            with open(self._temps_path, "ab") as f:
                f.write(app.temps)
        if self._frames_path and app.frames % self._frames_every == 0:
            w, h = self.panel.view_size()
            with open(self._frames_path, "ab") as f:
                write_frame(f, w, h, self.panel.view())
