"""Random corruptions of the shipped model: loading one raises ModelError with a message (or
loads a model), never another exception (IndexError, ZeroDivisionError, ...) and never a huge
allocation. HEATFACE_FUZZ=N sets how many (make test: a few seconds' worth; the corruptions are
seeded, so a failure repeats)."""

import os
import random
import shutil

from heatface.classifier import Classifier, ModelError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED = os.path.join(ROOT, "models", "heatface")
CORRUPTIONS = int(os.environ.get("HEATFACE_FUZZ", "200"))


def corrupt(data, rng):
    """``data`` with one random kind of damage: bytes, a truncation, a 32-bit word (offsets,
    lengths, indices) or one bit."""
    buf = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif kind == 1:
        del buf[rng.randrange(len(buf)):]
    elif kind == 2:
        i = rng.randrange(0, len(buf) - 4) & ~3
        word = rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 32)))
        buf[i:i + 4] = word.to_bytes(4, "little")
    else:
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return buf


def test_random_corruptions_of_the_shipped_model_raise_only_model_error(tmp_path):
    for ext in (".json", ".labels.txt"):
        shutil.copy(SHIPPED + ext, tmp_path / ("m" + ext))
    path = str(tmp_path / "m.tflite")
    with open(SHIPPED + ".tflite", "rb") as f:
        data = f.read()
    rng = random.Random(20261202)
    refused = 0
    for i in range(CORRUPTIONS):
        with open(path, "wb") as f:
            f.write(corrupt(data, rng))
        try:
            Classifier.load(path, backend="pure")
        except ModelError as exc:
            assert str(exc), i
            refused += 1
    assert refused > CORRUPTIONS // 5, refused  # the corruptions were real
