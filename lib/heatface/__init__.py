"""heatface: thermal-camera face recognition for MicroPython boards."""

__version__ = "0.1.0"
