"""CPython stand-in for ulab (host tests only, never deployed): ``from ulab import numpy as np``.

Backed by numpy but limited to what ulab v6 really offers (see ``ulab/numpy.py``), so code that
passes tests against this shim does not reach for something a board lacks.
"""

from . import numpy  # noqa: F401

__version__ = "6.5.0-shim"
