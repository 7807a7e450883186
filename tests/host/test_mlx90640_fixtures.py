"""The compact MLX90640 fixtures the device tests read are exactly what the Melexis JSON holds."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "data"))

import mlx90640_make_fixtures as fixtures  # noqa: E402


def test_fixtures_match_the_melexis_json():
    blob, text = fixtures.build()
    with open(fixtures.BIN_OUT, "rb") as f:
        assert f.read() == blob, "run tests/data/mlx90640_make_fixtures.py"
    with open(fixtures.PARAMS_OUT) as f:
        assert f.read() == text, "run tests/data/mlx90640_make_fixtures.py"
