"""heatface boot: make lib/ importable when the app was copied as files (mpremote fs cp)."""

import sys

if "/lib" not in sys.path:
    sys.path.append("/lib")
