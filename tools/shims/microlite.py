"""CPython stand-in for microlite (tflite-micro-micropython), backed by the real TFLM runtime.

Exposes only what microlite has (see DESIGN.md): ``interpreter(model, arena_size, input_cb,
output_cb)`` with ``invoke()``, ``getInputTensor(i)``, ``getOutputTensor(i)``; tensors with
``setValue(i, v)``, ``getValue(i)``, ``getType()``, ``quantizeFloatToInt8(f)`` (truncates, does
not clamp) and ``quantizeInt8ToFloat(q)``. Host-only; never deployed.
"""

import numpy as np
from tflite_micro.python.tflite_micro import runtime

_TYPES = {np.dtype(np.float32): 0, np.dtype(np.int32): 2, np.dtype(np.uint8): 3,
          np.dtype(np.int16): 7, np.dtype(np.int8): 9}


class _Tensor:
    def __init__(self, details, data):
        self._details = details
        self._data = data  # flat numpy array
        q = details["quantization_parameters"]
        self._scale = float(q["scales"][0]) if len(q["scales"]) else 0.0
        self._zp = int(q["zero_points"][0]) if len(q["zero_points"]) else 0

    def setValue(self, index, value):  # noqa: N802 - microlite's names
        self._data[index] = value

    def getValue(self, index):  # noqa: N802
        v = self._data[index]
        return float(v) if self._data.dtype.kind == "f" else int(v)

    def getType(self):  # noqa: N802
        return _TYPES.get(np.dtype(self._details["dtype"]), -1)

    def quantizeFloatToInt8(self, value):  # noqa: N802
        return int(value / self._scale + self._zp)

    def quantizeInt8ToFloat(self, value):  # noqa: N802
        return (value - self._zp) * self._scale


class interpreter:  # noqa: N801 - microlite's name
    def __init__(self, model, arena_size, input_callback, output_callback):
        self._it = runtime.Interpreter.from_bytes(bytes(model), arena_size=arena_size)
        self._in_cb = input_callback
        self._out_cb = output_callback
        d = self._it.get_input_details(0)
        self._in = _Tensor(d, np.zeros(int(np.prod(d["shape"])), dtype=d["dtype"]))
        self._out = None

    def getInputTensor(self, index):  # noqa: N802
        if index != 0:
            raise IndexError("tensor index out of range")
        return self._in

    def getOutputTensor(self, index):  # noqa: N802
        if index != 0:
            raise IndexError("tensor index out of range")
        if self._out is None:
            d = self._it.get_output_details(0)
            self._out = _Tensor(d, np.zeros(int(np.prod(d["shape"])), dtype=d["dtype"]))
        return self._out

    def invoke(self):
        self._in_cb(self)
        d = self._in._details
        self._it.set_input(self._in._data.reshape(d["shape"]), 0)
        self._it.invoke()
        out = self.getOutputTensor(0)
        out._data[:] = np.asarray(self._it.get_output(0)).reshape(-1)
        self._out_cb(self)
        return 0
