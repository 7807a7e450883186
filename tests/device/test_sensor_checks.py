"""Sensor plausibility in the driver: EEPROM parameters no MLX90640 has, and all-0x0000 /
all-0xFFFF bus data, give the driver's documented errors (never ZeroDivisionError, never a frame
of hundreds of degrees). Both runtimes."""

from array import array

from heatface.mlx90640 import EEPROMError, FrameError, MLX90640
from heatface_sim.mlx90640 import SimulatedMLX90640
from mptest import raises
from test_sim_mlx90640 import _eeprom


class StuckRam:
    """The simulated sensor's bus, with every RAM word (frame and aux data) reading ``word``."""

    def __init__(self, sim, word):
        self.sim = sim
        self.word = word

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self.sim.readfrom_mem_into(addr, memaddr, buf, addrsize)
        if 0x0400 <= memaddr < 0x0740:
            # buf may be bytes or the driver's 16-bit word array: a value every byte of which is
            # ``word`` in whichever it is (signed words take -1 for 0xFFFF)
            for fill in (self.word * 0x0101, -1 if self.word else 0, self.word):
                try:
                    buf[0] = fill
                    break
                except (OverflowError, ValueError):
                    pass
            for i in range(len(buf)):
                buf[i] = fill

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self.sim.writeto_mem(addr, memaddr, buf, addrsize)


def test_all_zero_and_all_ones_frames_are_frame_errors():
    for byte in (0x00, 0xFF):
        sim = SimulatedMLX90640(_eeprom())
        cam = MLX90640(StuckRam(sim, byte), compute="python")
        temps = array("f", bytes(3072))
        msg = str(raises(FrameError, cam.read_frame, temps))
        assert "stuck" in msg, msg


def test_eeprom_parameters_outside_the_datasheet_ranges_are_rejected():
    # word, value: kVdd positive, KtPTAT zero-ish, vPTAT25 zero, gain negative
    for word, value, name in ((51, 0x10FF & 0xFFFF, "kVdd"), (49, 0x0000, "vPTAT25"),
                              (48, 0x8000, "gainEE"), (50, 0x0001, "KtPTAT")):
        ee = _eeprom()
        ee[word] = value
        sim = SimulatedMLX90640(ee)
        msg = str(raises(EEPROMError, MLX90640, sim))
        assert name in msg, (name, msg)
