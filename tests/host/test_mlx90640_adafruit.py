"""heatface's MLX90640 driver against the Adafruit CircuitPython driver on the same simulated part.

The Adafruit driver (PyPI adafruit-circuitpython-mlx90640) is an independent implementation of
the Melexis formulas; both read the same subpage from the simulator and must agree within
0.01 degC at the same emissivity and reflected temperature (Ta - 8 for both).
"""

import struct
from array import array

import adafruit_mlx90640
import pytest
from heatface.mlx90640 import MLX90640
from heatface_sim.mlx90640 import I2CDeviceAdapter, SimulatedMLX90640
from mptest import data_path

EMISSIVITY = 0.95


def _eeprom():
    with open(data_path("mlx90640_example.bin"), "rb") as f:
        return list(struct.unpack(">832H", f.read(1664)))


@pytest.fixture(scope="module")
def rig():
    sim = SimulatedMLX90640(_eeprom())
    sim.auto_ready = False
    adafruit_mlx90640.I2CDevice = I2CDeviceAdapter  # the bus stand-in over the simulator
    theirs = adafruit_mlx90640.MLX90640(sim)
    return sim, theirs


def _scene(shift):
    return array("f", [min(100.0, (p * 37) % 101 + shift) for p in range(768)])


@pytest.mark.parametrize("compute", ["python", "ulab"])
@pytest.mark.parametrize("chess", [True, False])
@pytest.mark.parametrize("bits", [16, 18, 19])
def test_same_temperatures_as_adafruit(rig, compute, chess, bits):
    sim, theirs = rig
    ours = MLX90640(sim, compute=compute)
    ours.chess_mode = chess
    ours.resolution = bits
    ours.emissivity = EMISSIVITY
    mine = array("f", bytes(3072))
    frame = [0] * 834
    their_temps = [0.0] * 768
    compared = 0
    for ambient in (15.0, 35.0):
        sim.set_scene(_scene(ambient / 10.0), ambient)
        for _ in range(2):
            sim.tick()
            subpage = theirs._GetFrameData(frame)
            tr = theirs._GetTa(frame) - 8
            theirs._CalculateTo(frame, EMISSIVITY, tr, their_temps)
            sim.status |= 0x0008  # the same subpage again, for heatface
            assert ours.read_subpage(mine) == subpage
            assert abs(ours.ta - theirs._GetTa(frame)) < 1e-6
            for p in ours._idx[subpage]:
                assert abs(mine[p] - their_temps[p]) <= 0.01, (p, mine[p], their_temps[p])
                compared += 1
    assert compared == 4 * 384
