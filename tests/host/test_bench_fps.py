"""How tools/bench/bench_cm4.py turns an app loop into wio_fps_estimate: compute at 120 MHz plus
the frame's I2C and LCD time, at most the sensor's two subpages a frame."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))

import bench_cm4  # noqa: E402


def test_compute_and_io_add_up_and_the_sensor_caps():
    # 15.6 M instructions = 130 ms; 1,000 I2C bytes at 1 MHz = 9 ms; 30,000 LCD bytes at 24 MHz = 10 ms
    fps, uncapped = bench_cm4.fps_estimate(15_600_000, 1000, 30_000, 1_000_000)
    assert abs(uncapped - 1 / 0.149) < 1e-9 and fps == uncapped
    fps, uncapped = bench_cm4.fps_estimate(1_200_000, 1000, 30_000, 1_000_000)  # 29 ms a frame
    assert abs(uncapped - 1 / 0.029) < 1e-9
    assert fps == bench_cm4.REFRESH_HZ / 2 == 8


def test_the_i2c_clock_is_the_wio_profiles():
    assert bench_cm4.i2c_hz() == 1_000_000
