"""Face classification: a .tflite model, its labels and metadata, behind one small class.

    from heatface.classifier import Classifier
    clf = Classifier.load("models/face.tflite")          # backend: microlite if importable
    label, score, scores = clf.classify(gray8)             # gray8: 768-byte bytearray (to_gray8)

Model file conventions, for a model ``models/<name>.tflite``:

- ``models/<name>.labels.txt``: the class labels, one per line, in output order.
- ``models/<name>.json``: metadata, at least ``{"labels": [...], "t_lo": 22.0, "t_hi": 37.0,
  "input_scale": s, "input_zero_point": z, "arena_size": n, "input_shape": [1, 24, 32, 1]}``.
  ``t_lo``/``t_hi`` are the to_gray8 range the model was trained with (the app passes them to
  :func:`heatface.grayscale.to_gray8`); the input quantization must agree with the model's own.
  If both label sources exist they must agree; either alone is enough. A firmware with the
  model frozen in (firmware/manifest.py) finds these files in its ``heatface_model`` module.
- The model: full-int8 (int8 input and output), input 1x24x32x1, one output per label.

Input mapping, identical for both backends and matching training (which feeds x = gray / 255.0):
``q = round(x / scale) + zero_point`` clamped to -128..127, precomputed for the 256 gray levels
at load (:func:`input_lut`). The metadata's ``input_norm`` (:data:`INPUT_NORMS`) says what
``gray`` is: ``"gray"`` (or absent) the frame as it is; ``"ambient"`` the frame relative to its
ambient, ``clamp(gray - a + AMBIENT_OFFSET, 0, 255)`` with ``a = sum(gray) // 768`` (the frame's
mean level, integer: the same on every port and in training), done by picking the frame's window
of a table over every shifted level (no per-pixel work added). A median
would resist a close face better but needs a histogram: ~450 bytes of native code the Wio
firmware's flash does not have. Scores are dequantized outputs ``(q - zp) * scale``.

Backends: ``"microlite"`` (the tflite-micro-micropython C module) or ``"pure"`` (the viper
interpreter in :mod:`heatface.tflite`, bit-exact with TFLM's reference kernels); ``None`` picks
microlite when it can be imported, else pure.
"""

import micropython

from heatface.tflite_fb import INT8, TYPE_NAMES, ModelError, map_file, parse

__all__ = ["Classifier", "ModelError", "input_lut"]

INPUT_SHAPE = (1, 24, 32, 1)
INPUT_SIZE = 768
INPUT_NORMS = ("gray", "ambient")
AMBIENT_OFFSET = 96  # the gray level a frame's mean is moved to


def input_lut(scale, zero_point):
    """bytearray(256): the int8 (two's complement byte) model input for each gray level."""
    lut = bytearray(256)
    for g in range(256):
        v = g / 255.0 / scale
        q = int(v + 0.5) if v >= 0 else -int(0.5 - v)  # round half away from zero
        q += zero_point
        q = -128 if q < -128 else (127 if q > 127 else q)
        lut[g] = q & 0xFF
    return lut


@micropython.viper
def lut_map(src: ptr8, lut: ptr8, dst: ptr8, n: int):
    """dst[i] = lut[src[i]] (gray8 -> int8 model input)."""
    for i in range(n):
        dst[i] = lut[src[i]]


def _read(path, mode="rb"):
    """The file's content, or None. A relative path not found is looked for in ROMFS too
    (``/rom/<path>``, where ``make deploy`` puts the model); binary files are mapped without a
    copy where the filesystem allows it (ROMFS, :func:`map_file`). A firmware with the model
    frozen in (firmware/manifest.py) has no file: the generated ``heatface_model`` module holds
    it by base name."""
    for p in (path,) if path.startswith("/") else (path, "/rom/" + path):
        try:
            if mode == "rb":
                return map_file(p)
            with open(p, mode) as f:
                return f.read()
        except OSError:
            pass
    try:
        from heatface_model import FILES
    except ImportError:
        return None
    data = FILES.get(path.rsplit("/", 1)[-1])
    if data is None or mode == "rb":
        return data
    return data.decode()


def _base(path):
    return path[:-7] if path.endswith(".tflite") else path


class _PureBackend:
    name = "pure"

    def __init__(self, model, arena_size, parsed):
        from heatface.tflite import Interpreter

        self.it = Interpreter(model, parsed=parsed)
        self.kernels = self.it.kernels

    def run(self, gray8, lut, out):
        lut_map(gray8, lut, self.it.input, INPUT_SIZE)
        self.it.invoke()
        o = self.it.output
        for i in range(len(out)):
            out[i] = o[i]


# microlite's constructor only prints an error when TFLM cannot allocate the tensors, and every
# later call then dereferences NULL (a hard fault): never hand it a just-big-enough arena. The
# metadata's figure is measured on the 64-bit host; 32-bit boards align differently.
ARENA_MARGIN = 4096


class _MicroliteBackend:
    name = "microlite"
    kernels = "microlite"

    def __init__(self, model, arena_size, parsed):
        import microlite

        self._gray = None
        self._lut = None
        self._out = None
        # the C code reads the model as an array object (a bytes object would be misread) and
        # keeps a pointer into it
        self._model = model if isinstance(model, bytearray) else bytearray(model)
        self.it = microlite.interpreter(self._model, arena_size + ARENA_MARGIN, self._input_cb,
                                        self._output_cb)
        kind = self.it.getInputTensor(0).getType(0)  # a type name, e.g. 'INT8'
        if kind != "INT8":
            raise ModelError("microlite reports input type %s, expected INT8" % kind)

    def _input_cb(self, interp):
        t = interp.getInputTensor(0)
        g = self._gray
        lut = self._lut
        for i in range(INPUT_SIZE):
            t.setValue(i, lut[g[i]])  # setValue truncates to int8: byte 0x80..0xFF -> -128..-1

    def _output_cb(self, interp):
        t = interp.getOutputTensor(0)
        out = self._out
        for i in range(len(out)):
            out[i] = t.getValue(i) & 0xFF

    def run(self, gray8, lut, out):
        self._gray = gray8
        self._lut = lut
        self._out = out
        if self.it.invoke() != 0:  # 1: TFLM failed and the output callback was not called
            raise ModelError("microlite: the model failed to run (invoke returned non-zero)")


def _pick_backend(backend):
    if backend is None:
        try:
            import microlite  # noqa: F401

            return _MicroliteBackend
        except ImportError:
            return _PureBackend
    if backend == "pure":
        return _PureBackend
    if backend == "microlite":
        return _MicroliteBackend
    raise ValueError("backend must be 'pure', 'microlite' or None, not %r" % (backend,))


class Classifier:
    """An int8 image classifier over 24x32 gray8 frames. Build it with :meth:`load`."""

    def __init__(self, model, labels, meta, backend=None):
        meta = meta or {}
        tensors, ops, inputs, outputs = parse(model)
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError("model must have one input and one output")
        tin = tensors[inputs[0]]
        tout = tensors[outputs[0]]
        if tuple(tin.shape) != INPUT_SHAPE:
            raise ModelError("model input shape is %s, expected [1, 24, 32, 1] (one 32x24 "
                             "grayscale frame)" % list(tin.shape))
        for what, t in (("input", tin), ("output", tout)):
            if t.type != INT8:
                raise ModelError("model %s is %s, expected int8: convert with full-integer "
                                 "quantization" % (what, TYPE_NAMES.get(t.type, t.type)))
        n_out = tout.size()
        if len(labels) != n_out:
            raise ModelError("model has %d outputs but %d labels are given" % (n_out, len(labels)))
        self.input_scale = tin.scale
        self.input_zero_point = tin.zero_point
        self.output_scale = tout.scale
        self.output_zero_point = tout.zero_point
        ms = meta.get("input_scale")
        if ms is not None and abs(ms - tin.scale) > 1e-6 * tin.scale:
            raise ModelError("metadata input_scale %r does not match the model's %r" % (ms, tin.scale))
        mz = meta.get("input_zero_point")
        if mz is not None and mz != tin.zero_point:
            raise ModelError("metadata input_zero_point %r does not match the model's %r"
                             % (mz, tin.zero_point))
        parsed = (tensors, ops, inputs, outputs)
        del tensors, ops
        self.labels = list(labels)
        self.meta = meta
        self.t_lo = float(meta.get("t_lo", 22.0))
        self.t_hi = float(meta.get("t_hi", 37.0))
        self.lut = input_lut(tin.scale, tin.zero_point)
        self.input_norm = meta.get("input_norm", "gray")
        lut = self.lut
        # "ambient": t[v + 255] = lut[clamp(v, 0, 255)] for v = -255..255 + AMBIENT_OFFSET
        self._table = (memoryview(bytes(lut[:1]) * 255 + lut + bytes(lut[255:]) * AMBIENT_OFFSET)
                       if self.input_norm == "ambient" else None)
        self._raw = bytearray(n_out)
        self.scores = [0.0] * n_out
        cls = _pick_backend(backend)
        self._backend = cls(model, int(meta.get("arena_size", 16384)), parsed)
        self.backend = self._backend.name
        self.kernels = self._backend.kernels  # pure: "native" or "viper" (heatface.tflite)

    @classmethod
    def load(cls, model_path, backend=None):
        """Load ``model_path`` (a .tflite) with its ``.labels.txt`` and ``.json`` next to it
        (:mod:`heatface.model_meta`). Raises ModelError (or MemoryError) only; ``warnings``
        lists the metadata problems it worked around."""
        model = _read(model_path)
        if model is None:
            raise ModelError("model file %s not found (or unreadable)" % model_path)
        from heatface import model_meta
        from heatface.compat import unload

        try:  # labels and metadata checked field by field; the checks need not stay in RAM
            labels, meta, warnings = model_meta.read(_base(model_path), _read)
        finally:
            unload("heatface.model_meta")
        try:
            clf = cls(model, labels, meta, backend)
        except (ModelError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever a corrupt model trips in the reader
            raise ModelError("model file %s is corrupt (%s: %s)" % (model_path, type(exc).__name__, exc))
        clf.warnings = warnings
        return clf

    def classify(self, gray8):
        """Classify one 768-byte gray8 frame: returns (label, score, scores) with scores in 0..1."""
        if len(gray8) != INPUT_SIZE:
            raise ValueError("gray8 must have 768 values (24x32), got %d" % len(gray8))
        raw = self._raw
        lut = self.lut
        if self._table:
            s = 255 + AMBIENT_OFFSET - sum(gray8) // INPUT_SIZE
            lut = self._table[s:s + 256]
        self._backend.run(gray8, lut, raw)
        zp = self.output_zero_point
        sc = self.output_scale
        scores = self.scores
        best = 0
        for i in range(len(raw)):
            q = raw[i]
            q = q - 256 if q > 127 else q
            scores[i] = (q - zp) * sc
            if scores[i] > scores[best]:
                best = i
        return self.labels[best], scores[best], scores

    def raw_output(self):
        """The int8 outputs of the last classify() as a bytearray (two's complement)."""
        return self._raw
