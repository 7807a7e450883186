"""CPython stand-in for microlite (tflite-micro-micropython), backed by the real TFLM runtime.

Mirrors ../shared/third_party/tensorflow-micropython-examples/micropython-modules/microlite/
tensorflow-microlite.c and openmv-libtf.cpp (commit 44b7fbe), call by call, quirks included:

- ``interpreter(model, arena_size, input_cb, output_cb)``: exactly four positional arguments; the
  model must be a bytearray (the C code reads it as an array object); non-callable callbacks other
  than None raise ValueError. The arena is ``arena_size + 16`` bytes. When TFLM cannot allocate the
  tensors in it, the constructor only prints ``AllocateTensors() failed!`` and returns an
  interpreter whose TFLM pointer is NULL: every later call on it dereferences NULL, which hard-faults
  a board; here it raises :class:`NullInterpreter`.
- ``invoke()`` calls ``input_cb(interp)``, runs TFLM, then ``output_cb(interp)`` and returns 0; when
  TFLM's Invoke fails it prints ``Invoke() failed!`` and returns 1 WITHOUT calling ``output_cb``.
- ``getInputTensor(i)`` / ``getOutputTensor(i)`` return a new tensor object on each call.
- tensor ``getType(i)`` takes an (ignored) index and returns TfLiteTypeGetName's string ('INT8').
- ``getValue(i)``: int for int8/uint8, float for float32, TypeError otherwise.
- ``setValue(i, v)`` casts to the C type: an int is truncated to int8/uint8 (wraps); returns the
  tensor. A non-int for an int tensor is undefined behaviour in C; here it raises TypeError.
- ``quantizeFloatToInt8(f)``: TypeError unless ``f`` is a float; float32 ``f / scale + zero_point``
  converted to int8 as the C cast does on the boards: truncated toward zero (saturating to 32 bits
  like VCVT), then wrapped to 8 bits. No clamping.
- ``quantizeInt8ToFloat(q)``: TypeError unless ``q`` is an int; ``q`` is wrapped to int8 first,
  then ``(q - zero_point) * scale`` in float32.

Host-only; never deployed.
"""

import numpy as np
from tflite_micro.python.tflite_micro import runtime

_TYPE_NAMES = {np.dtype(np.float32): "FLOAT32", np.dtype(np.int32): "INT32",
               np.dtype(np.uint8): "UINT8", np.dtype(np.int64): "INT64",
               np.dtype(np.int16): "INT16", np.dtype(np.int8): "INT8"}
_ALIGNMENT_EXTRA = 16  # interpreter_make_new: "add extra space to allow for alinment"


class NullInterpreter(RuntimeError):
    """A call on an interpreter whose tensors could not be allocated: a NULL dereference (a hard
    fault and reset) on the board."""


def _wrap8(v, signed=True):
    v &= 0xFF
    return v - 256 if signed and v > 127 else v


def _to_int32_truncated(f):
    """C float -> integer conversion on Cortex-M/Xtensa: toward zero, saturating at 32 bits."""
    if f != f:
        return 0
    if f >= 2147483647.0:
        return 2147483647
    if f <= -2147483648.0:
        return -2147483648
    return int(f)


def _check_int(value):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("can't convert %s to int" % type(value).__name__)


class tensor:  # noqa: N801 - microlite's name
    def __init__(self, details, data):
        self._details = details
        self._data = data  # flat numpy array, shared with the interpreter
        q = details["quantization_parameters"]
        self._scale = np.float32(q["scales"][0]) if len(q["scales"]) else np.float32(0.0)
        self._zp = int(q["zero_points"][0]) if len(q["zero_points"]) else 0
        self._name = _TYPE_NAMES.get(np.dtype(details["dtype"]), "UNKNOWN")

    def getType(self, index):  # noqa: N802 - microlite's names
        return self._name

    def getValue(self, index):  # noqa: N802
        _check_int(index)
        if self._name == "FLOAT32":
            return float(self._data[index])
        if self._name in ("INT8", "UINT8"):
            return int(self._data[index])
        raise TypeError("Unsupported Tensor Type")

    def setValue(self, index, value):  # noqa: N802
        _check_int(index)
        if self._name == "FLOAT32":
            self._data[index] = np.float32(value)
        elif self._name in ("INT8", "UINT8"):
            _check_int(value)
            self._data[index] = _wrap8(value, self._name == "INT8")
        else:
            raise TypeError("Unsupported Tensor Type")
        return self

    def quantizeFloatToInt8(self, value):  # noqa: N802
        if not isinstance(value, float):
            raise TypeError("Expecting Parameter of float type")
        self._expect_int8()
        with np.errstate(all="ignore"):
            f = np.float32(value) / self._scale + np.float32(self._zp)
        return _wrap8(_to_int32_truncated(float(f)))

    def quantizeInt8ToFloat(self, value):  # noqa: N802
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("Expecting Parameter of float type")  # sic: the C message
        self._expect_int8()
        return float(np.float32(_wrap8(value) - self._zp) * self._scale)

    def _expect_int8(self):
        if self._name != "INT8":
            raise TypeError("Expected Tensor to be of type ktfLiteInt8.")


class interpreter:  # noqa: N801 - microlite's name
    def __init__(self, model, arena_size, input_callback, output_callback):
        if not isinstance(model, bytearray):
            raise TypeError("microlite reads the model as an array object: pass a bytearray")
        for cb, what in ((input_callback, "Input"), (output_callback, "Output")):
            if cb is not None and not callable(cb):
                raise ValueError("Invalid %s Callback Handler" % what)
        _check_int(arena_size)
        self._in_cb = input_callback
        self._out_cb = output_callback
        arena = arena_size + _ALIGNMENT_EXTRA
        print("interpreter_make_new: model size = %d, tensor area = %d" % (len(model), arena))
        try:
            self._it = runtime.Interpreter.from_bytes(bytes(model), arena_size=arena)
        except RuntimeError:
            print("AllocateTensors() failed!")
            self._it = None
            return
        self._tensors = {}
        for kind, details in (("in", self._it.get_input_details(0)),
                              ("out", self._it.get_output_details(0))):
            size = int(np.prod(details["shape"]))
            self._tensors[kind] = (details, np.zeros(size, dtype=details["dtype"]))

    def _live(self):
        if self._it is None:
            raise NullInterpreter("microlite interpreter has no tensors (AllocateTensors failed):"
                                  " a board dereferences NULL here")
        return self._it

    def _tensor(self, kind, index):
        self._live()
        _check_int(index)
        if index != 0:
            raise NullInterpreter("tensor index %d out of range: TFLM returns NULL" % index)
        return tensor(*self._tensors[kind])

    def getInputTensor(self, index):  # noqa: N802
        return self._tensor("in", index)

    def getOutputTensor(self, index):  # noqa: N802
        return self._tensor("out", index)

    def invoke(self):
        it = self._live()
        self._in_cb(self)
        details, data = self._tensors["in"]
        try:
            it.set_input(data.reshape(details["shape"]), 0)
            it.invoke()
        except RuntimeError:
            print("Invoke() failed!")
            return 1
        self._tensors["out"][1][:] = np.asarray(it.get_output(0)).reshape(-1)
        self._out_cb(self)
        return 0
