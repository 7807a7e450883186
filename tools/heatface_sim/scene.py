"""Scene sources for the simulated sensor: what the camera "sees", frame after frame.

A scene source has ``next_frame(temps)`` which fills a 768-element float array (degC, row-major
24x32) and returns the ambient temperature for that frame. Sources:

- :class:`ConstantScene` — one fixed frame.
- :class:`ReplayScene` — recorded frames from a file, looping: CSV with one frame per line
  (768 values, or 769 with the ambient temperature first, as ``tools/make_demo_scene.py`` writes;
  ``#`` lines are comments) or a ``.npy`` array of shape (N, 768) or (N, 24, 32), float32/float64.
"""

import struct

PIXELS = 768


class ConstantScene:
    """The same temperatures every frame."""

    def __init__(self, temps, ambient=25.0):
        if len(temps) != PIXELS:
            raise ValueError("a scene has 768 temperatures, got %d" % len(temps))
        self._temps = temps
        self.ambient = ambient

    def next_frame(self, temps):
        for i in range(PIXELS):
            temps[i] = self._temps[i]
        return self.ambient


class ReplayScene:
    """Replay frames from a CSV or .npy file, looping at the end."""

    def __init__(self, path, ambient=25.0, loop=True):
        self.path = path
        self.ambient = ambient
        self.loop = loop
        self.frames_played = 0
        self._npy = path.endswith(".npy")
        self._f = open(path, "rb")
        if self._npy:
            self._open_npy()

    def _open_npy(self):
        f = self._f
        if f.read(6) != b"\x93NUMPY":
            raise ValueError("%s is not a .npy file" % self.path)
        major = f.read(2)[0]
        if major == 1:
            header_len = struct.unpack("<H", f.read(2))[0]
        else:
            header_len = struct.unpack("<I", f.read(4))[0]
        header = f.read(header_len).decode()
        if "'fortran_order': True" in header:
            raise ValueError("%s: Fortran-ordered arrays are not supported" % self.path)
        if "'<f4'" in header:
            self._fmt, self._item = "<f", 4
        elif "'<f8'" in header:
            self._fmt, self._item = "<d", 8
        else:
            raise ValueError("%s: need little-endian float32 or float64 data" % self.path)
        self._data_start = f.tell()
        self._row = bytearray(PIXELS * self._item)

    def _rewind(self):
        if not self.loop:
            raise EOFError("end of %s" % self.path)
        if self._npy:
            self._f.seek(self._data_start)
        else:
            self._f.seek(0)

    def next_frame(self, temps):
        """Fill ``temps`` with the next recorded frame; return its ambient temperature."""
        ambient = self._next_npy(temps) if self._npy else self._next_csv(temps)
        self.frames_played += 1
        return ambient

    def _next_npy(self, temps):
        n = self._f.readinto(self._row)
        if n < len(self._row):
            self._rewind()
            n = self._f.readinto(self._row)
            if n < len(self._row):
                raise ValueError("%s holds no complete frame" % self.path)
        fmt, item, row = self._fmt, self._item, self._row
        for i in range(PIXELS):
            temps[i] = struct.unpack_from(fmt, row, i * item)[0]
        return self.ambient

    def _next_csv(self, temps):
        rewound = False
        while True:
            line = self._f.readline()
            if not line:
                if rewound:
                    raise ValueError("%s holds no frame" % self.path)
                self._rewind()
                rewound = True
                continue
            line = line.strip()
            if line and not line.startswith(b"#"):
                break
        fields = line.split(b",")
        if len(fields) == PIXELS + 1:
            ambient = float(fields[0])
            first = 1
        elif len(fields) == PIXELS:
            ambient = self.ambient
            first = 0
        else:
            raise ValueError("%s: a line has %d values; expected 768, or 769 with ambient first"
                             % (self.path, len(fields)))
        for i in range(PIXELS):
            temps[i] = float(fields[first + i])
        return ambient

    def close(self):
        self._f.close()
