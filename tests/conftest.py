"""pytest set-up: device code, host tools and the CPython stand-ins on sys.path."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for sub in ("tools/shims", "lib", "tools", "tests", "tests/device"):
    path = os.path.join(ROOT, sub)
    if path not in sys.path:
        sys.path.insert(0, path)
os.chdir(ROOT)
