"""The real st7789py (../shared/third_party/st7789py_mpy/lib/st7789py.py, unmodified) and the model
of the st7789_mpy C module drive heatface's LCD set-up into the register-level panel models: the
picture on the glass equals what heatface meant to draw (the simulator's picture), for the Wio
Terminal (ILI9341) and the Feather (ST7789 240x135), for live frames, overlay, legend and the error
screen."""

import ast
import os

import pytest
import st7789py

from heatface.app import App
from heatface.boards import feather_esp32s3_reverse_tft as feather
from heatface.boards import wio_terminal as wio
from heatface.config import DEFAULTS
from heatface.lcd import (ILI9341_INIT, ILI9341_ROTATIONS, MADCTL_BGR, ST7789Display,
                          c_driver_init)
from heatface_sim import st7789_c
from heatface_sim.board import Board, simulated_lcd
from heatface_sim.lcd import SimulatedLCD
from fakes_display import Tee
from heatface_sim.panel import UNDEFINED, feather_panel, wio_terminal_panel

ST7789_MPY = os.environ.get("HEATFACE_ST7789_MPY") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(st7789py.__file__))), "st7789_mpy")
WIO_CONFIG = os.path.join(ST7789_MPY, "examples", "configs", "wio_terminal", "tft_config.py")
PROFILES = ("wio_terminal", "feather_esp32s3_reverse_tft")
DRIVERS = ("st7789py", "st7789_c")


def test_the_driver_under_test_is_the_upstream_file():
    lib = os.path.dirname(st7789py.__file__)
    assert os.path.basename(lib) == "lib"
    assert os.path.basename(os.path.dirname(lib)).startswith("st7789py_mpy")
    assert "heatface" not in open(st7789py.__file__).read()


def _session(profile, driver, **extra):
    """An App on the simulated board, drawing both the intended picture and the real panel."""
    config = dict(DEFAULTS)
    config.update({"print_predictions": False, "retry_sleep_ms": 0, "sim_panel": profile,
                   "sim_lcd_driver": driver})
    config.update(extra)
    board = Board(config)
    intended = SimulatedLCD(board.lcd.width, board.lcd.height)
    real = board.lcd
    board.display = lambda: Tee(intended, real)
    return App(board, config), board, intended


def _diff(panel, intended):
    shown = panel.view()
    assert panel.view_size() == (intended.width, intended.height)
    bad = [i // 2 for i in range(0, len(shown), 2) if shown[i:i + 2] != intended.pixels[i:i + 2]]
    return len(bad), [(i % intended.width, i // intended.width) for i in bad[:5]]


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("profile", PROFILES)
def test_live_frames_overlay_and_legend_are_pixel_identical(profile, driver):
    app, board, intended = _session(profile, driver, start_mode="live")
    for _ in range(3):
        app.run(max_frames=app.frames + 1)
        assert _diff(board.panel, intended) == (0, [])
    assert board.panel.unknown == [], "commands %s do not exist on the %s" % (
        board.panel.unknown, board.panel.chip)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("profile", PROFILES)
def test_error_screen_is_pixel_identical(profile, driver):
    app, board, intended = _session(profile, driver, start_mode="live", sim_sensor_missing=True)
    for _ in range(3):
        assert app.step() is False
    assert "Sensor" in app._info["status"]
    assert _diff(board.panel, intended) == (0, [])


@pytest.mark.parametrize("profile", PROFILES)
def test_infer_and_collect_screens_are_pixel_identical(profile, tmp_path):
    app, board, intended = _session(profile, "st7789py", start_mode="collect",
                                    sim_card_dir=str(tmp_path), sim_buttons=[["A", 50, 150]])
    app.run(max_frames=4)
    assert _diff(board.panel, intended) == (0, [])
    app.switch_mode(2)
    app.run(max_frames=app.frames + 2)
    assert _diff(board.panel, intended) == (0, [])


def _drawn(panel):
    """Frame-memory pixel indices a driver wrote (anything but the power-up pattern)."""
    ram = panel.ram
    return {i // 2 for i in range(0, len(ram), 2) if (ram[i] << 8 | ram[i + 1]) != UNDEFINED}


@pytest.mark.parametrize("rotation", range(4))
def test_st7789py_135x240_tables_cover_exactly_the_glass(rotation):
    """The panel model's MADCTL mapping agrees with st7789py's own offset tables: in every rotation
    a full-screen fill lands on the 135x240 glass and nowhere else."""
    panel = feather_panel()
    st7789py.ST7789(panel.spi, 135, 240, reset=panel.reset_pin, cs=panel.cs, dc=panel.dc,
                    rotation=rotation, color_order=st7789py.RGB)
    c0, r0, cols, rows = panel.glass
    glass = {(r0 + r) * 240 + c0 + c for r in range(rows) for c in range(cols)}
    assert _drawn(panel) == glass


def test_wio_upright_is_madctl_0xe8_and_rotation_1_is_upside_down():
    pattern = bytearray(2 * 320 * 240)
    for i in range(320 * 240):
        pattern[2 * i] = (i * 7) >> 8 & 0xFF
        pattern[2 * i + 1] = (i * 7) & 0xFF
    shown = {}
    for rotation in (wio.UPRIGHT, 1):
        panel = wio_terminal_panel()
        tft = st7789py.ST7789(panel.spi, 240, 320, reset=panel.reset_pin, cs=panel.cs,
                              dc=panel.dc, rotation=rotation, color_order=MADCTL_BGR,
                              custom_init=ILI9341_INIT,
                              custom_rotations=[r + (False,) for r in ILI9341_ROTATIONS])
        ST7789Display(tft).blit(pattern, 0, 0, 320, 240)
        shown[rotation] = (panel.madctl, panel.view())
    assert shown[wio.UPRIGHT] == (0xE8, bytes(pattern))
    madctl, flipped = shown[1]
    assert madctl == 0x28
    words = [flipped[i:i + 2] for i in range(0, len(flipped), 2)]
    assert b"".join(reversed(words)) == bytes(pattern)  # the same picture turned 180 degrees


def _c_wio_config():
    """custom_init and custom_rotations from st7789_mpy's Wio Terminal config (parsed, not run:
    it imports machine)."""
    tree = ast.parse(open(WIO_CONFIG).read())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("custom_init", "custom_rotations"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def test_ili9341_init_and_rotations_are_the_c_drivers_wio_config():
    config = _c_wio_config()
    ours = c_driver_init(ILI9341_INIT)
    assert [e[0] for e in ours] == [e[0] for e in config["custom_init"]]  # incl. 0xF2, gamma
    assert [(r[0] | MADCTL_BGR,) + r[1:] for r in ILI9341_ROTATIONS] == config["custom_rotations"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_wio_panel_gets_the_ili9341_init(driver):
    panel, _ = simulated_lcd("wio_terminal", driver)
    assert panel.unknown == []
    assert not panel.inversion and not panel.sleeping and panel.display_on
    assert panel.colmod == 0x55 and panel.madctl == 0xE8
    assert panel.registers[0xF2] == b"\x00"
    assert panel.registers[0xE0] == ILI9341_INIT[17][1]
    assert panel.registers[0xE1] == ILI9341_INIT[18][1]


def test_st7789py_default_init_on_the_wio_shows_inverted_colours():
    """What heatface did before: st7789py's own ST7789 init and 240x320 table on the ILI9341."""
    panel = wio_terminal_panel()
    tft = st7789py.ST7789(panel.spi, 240, 320, reset=panel.reset_pin, cs=panel.cs, dc=panel.dc,
                          rotation=1)
    ST7789Display(tft).fill_rect(0, 0, 10, 10, 0xF800)
    assert 0xBB in panel.unknown  # ST7789 VCOMS: no such ILI9341 command
    assert panel.inversion
    shown = panel.view()
    assert shown[0:2] != b"\xf8\x00"


def test_st7789py_sends_the_whole_buffer_and_the_adapter_trims_it():
    panel = wio_terminal_panel()
    tft = wio.make_tft(st7789py, panel.spi, panel.reset_pin, panel.cs, panel.dc)
    strip = bytearray(b"\x12\x34" * 8 + b"\xff\xff" * 8)  # a 4x2 strip in a longer buffer
    sent = panel.spi.bytes_sent
    tft.blit_buffer(strip, 0, 0, 4, 2)
    assert panel.spi.bytes_sent - sent - 11 == len(strip)  # + CASET, RASET (1 + 4 each), RAMWR
    panel2 = wio_terminal_panel()
    disp = ST7789Display(wio.make_tft(st7789py, panel2.spi, panel2.reset_pin, panel2.cs, panel2.dc))
    sent = panel2.spi.bytes_sent
    disp.blit(strip, 0, 0, 4, 2)
    assert panel2.spi.bytes_sent - sent - 11 == 16
    assert panel2.view()[:8] == b"\x12\x34" * 4 and panel2.view()[640:648] == b"\x12\x34" * 4


def test_c_driver_model_clamps_blit_buffer_to_the_window():
    panel = wio_terminal_panel()
    tft = wio.make_tft(st7789_c, panel.spi, panel.reset_pin, panel.cs, panel.dc)
    tft.init()
    before = panel.pixels_written
    tft.blit_buffer(bytearray(2 * 100), 0, 0, 4, 2)
    assert panel.pixels_written - before == 8
    with pytest.raises(ValueError):
        st7789_c.ST7789(panel.spi, 240, 320, dc=panel.dc, rotations=[(0x48, 240, 320, 0, 0, False)])


def test_feather_needs_rgb_order_with_st7789py():
    """st7789py's default colour order (BGR) on the Feather's RGB glass swaps red and blue."""
    for order, expect in ((st7789py.BGR, b"\x00\x1f"), (feather._RGB, b"\xf8\x00")):
        panel = feather_panel()
        tft = st7789py.ST7789(panel.spi, 135, 240, reset=panel.reset_pin, cs=panel.cs,
                              dc=panel.dc, rotation=feather.LANDSCAPE, color_order=order)
        ST7789Display(tft).fill_rect(0, 0, 240, 135, 0xF800)
        assert panel.view()[:2] == expect
