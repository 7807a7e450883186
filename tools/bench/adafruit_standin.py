"""A stand-in for adafruit_bus_device's I2CDevice, so the Adafruit MLX90640 driver runs unmodified
on MicroPython against a heatface bus (``readfrom_mem_into`` / ``writeto_mem``, 16-bit registers).

``install()`` registers it as ``adafruit_bus_device.i2c_device`` before the driver is imported.
Used by bench_mlx90640.py (unix port) and cm4_kernels.py (the emulated board).
"""

import sys


class I2CDevice:
    """What the driver calls: write (register writes it does not need here) and
    write_then_readinto (a register read)."""

    def __init__(self, i2c, address):
        self.bus = i2c
        self.address = address

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, buf):
        pass

    def write_then_readinto(self, out_buf, in_buf, in_end=None):
        tmp = bytearray(in_end)
        self.bus.readfrom_mem_into(self.address, (out_buf[0] << 8) | out_buf[1], tmp, addrsize=16)
        in_buf[:in_end] = tmp


class _Module:
    pass


def install():
    pkg = _Module()
    sub = _Module()
    sub.I2CDevice = I2CDevice
    pkg.i2c_device = sub
    sys.modules["adafruit_bus_device"] = pkg
    sys.modules["adafruit_bus_device.i2c_device"] = sub


def uninstall():
    for name in ("adafruit_mlx90640", "adafruit_bus_device", "adafruit_bus_device.i2c_device"):
        sys.modules.pop(name, None)
