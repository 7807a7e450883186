"""pytest set-up: device code, host tools and the CPython stand-ins on sys.path."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for sub in ("tools/shims", "lib", "tools", "tests", "tests/device"):
    path = os.path.join(ROOT, sub)
    if path not in sys.path:
        sys.path.insert(0, path)
os.chdir(ROOT)

# The real st7789py driver (unmodified upstream; the Makefile points HEATFACE_ST7789PY at it).
ST7789PY = os.environ.get("HEATFACE_ST7789PY") or os.path.join(
    ROOT, "..", "shared", "third_party", "st7789py_mpy", "lib")
if ST7789PY not in sys.path:
    sys.path.append(ST7789PY)
