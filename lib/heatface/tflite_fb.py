"""A minimal, bounds-checked reader for the TFLite flatbuffer schema (the parts an int8 CNN needs).

It walks model -> subgraphs[0] -> tensors / operators / buffers / quantization and operator codes
(``max(deprecated_builtin_code, builtin_code)``, as TFLite does) with ``struct.unpack_from`` on
the model bytes. Constant tensor data are zero-copy memoryviews into the model.

Flatbuffer facts used: a table starts with an int32 offset back to its vtable (``vtable = table -
soffset``); the vtable holds uint16 [vtable size, table size, field offsets...]; a field offset of
0 (or beyond the vtable) means "absent, use the default"; vectors, strings and sub-tables are
stored as uint32 offsets relative to where the offset itself sits.
"""

import struct

from heatface.compat import pack_heap

# TensorType values from the schema.
FLOAT32 = 0
INT32 = 2
UINT8 = 3
INT64 = 4
INT16 = 7
INT8 = 9
TYPE_NAMES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string",
              6: "bool", 7: "int16", 8: "complex64", 9: "int8", 10: "float64"}

# BuiltinOperator values (the ones we run, plus names for a clearer error on the others).
AVERAGE_POOL_2D = 1
CONV_2D = 3
DEPTHWISE_CONV_2D = 4
DEQUANTIZE = 6
FULLY_CONNECTED = 9
MAX_POOL_2D = 17
RESHAPE = 22
SOFTMAX = 25
MEAN = 40
OP_NAMES = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
    6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL",
    19: "RELU", 21: "RELU6", 22: "RESHAPE", 25: "SOFTMAX", 28: "TANH", 32: "CUSTOM", 34: "PAD",
    39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 45: "STRIDED_SLICE", 47: "EXP", 49: "SPLIT",
    55: "MAXIMUM", 57: "MINIMUM", 67: "TRANSPOSE_CONV", 74: "SUM", 77: "SHAPE", 82: "REDUCE_MAX",
    83: "PACK", 97: "RESIZE_NEAREST_NEIGHBOR", 98: "LEAKY_RELU", 114: "QUANTIZE",
    117: "HARD_SWISH", 126: "BATCH_MATMUL",
}


class ModelError(ValueError):
    """The model file is missing, corrupt, or not a model heatface can run."""


def map_file(path):
    """The bytes of file ``path`` without a copy where the filesystem allows it (a file in ROMFS
    opened 'rb' exposes its flash through the buffer protocol), else read into RAM."""
    f = open(path, "rb")
    try:
        return memoryview(f)  # keeps f (and so the mapping) alive
    except TypeError:
        pass
    try:
        return f.read()
    finally:
        f.close()


def op_name(code):
    return OP_NAMES.get(code, "builtin operator %d" % code)


class _Reader:
    """Bounds-checked little-endian reads from the flatbuffer."""

    def __init__(self, buf):
        self.buf = buf
        self.n = len(buf)

    def _check(self, pos, size):
        if pos < 0 or pos + size > self.n:
            raise ModelError("model file is truncated or corrupt (read past the end at byte %d)" % pos)

    def u8(self, pos):
        self._check(pos, 1)
        return self.buf[pos]

    def u16(self, pos):
        self._check(pos, 2)
        return struct.unpack_from("<H", self.buf, pos)[0]

    def i32(self, pos):
        self._check(pos, 4)
        return struct.unpack_from("<i", self.buf, pos)[0]

    def u32(self, pos):
        self._check(pos, 4)
        return struct.unpack_from("<I", self.buf, pos)[0]

    def field(self, table, slot):
        """Absolute position of field ``slot`` of the table at ``table``, or 0 when absent."""
        vt = table - self.i32(table)
        vt_size = self.u16(vt)
        if vt_size < 4 or vt_size > 4096:
            raise ModelError("model file is corrupt (bad flatbuffer vtable)")
        off = 4 + 2 * slot
        if off + 2 > vt_size:
            return 0
        rel = self.u16(vt + off)
        return table + rel if rel else 0

    def scalar(self, table, slot, fmt, default):
        pos = self.field(table, slot)
        if not pos:
            return default
        size = struct.calcsize(fmt)
        self._check(pos, size)
        return struct.unpack_from(fmt, self.buf, pos)[0]

    def ref(self, table, slot):
        """Target of an offset field (table, vector or string), or 0 when absent."""
        pos = self.field(table, slot)
        if not pos:
            return 0
        return pos + self.u32(pos)

    def vector(self, table, slot):
        """(start, length) of a vector field; (0, 0) when absent."""
        pos = self.ref(table, slot)
        if not pos:
            return 0, 0
        n = self.u32(pos)
        self._check(pos + 4, 0)
        if n > self.n:
            raise ModelError("model file is corrupt (vector length %d)" % n)
        return pos + 4, n

    def tables(self, table, slot):
        start, n = self.vector(table, slot)
        return [start + 4 * i + self.u32(start + 4 * i) for i in range(n)]

    def ints(self, table, slot, fmt="i"):
        start, n = self.vector(table, slot)
        size = struct.calcsize(fmt)
        self._check(start, n * size)
        return struct.unpack_from("<%d%s" % (n, fmt), self.buf, start) if n else ()

    def bytes_of(self, table, slot):
        start, n = self.vector(table, slot)
        self._check(start, n)
        return memoryview(self.buf)[start:start + n]

    def string(self, table, slot):
        start, n = self.vector(table, slot)
        self._check(start, n)
        return str(bytes(self.buf[start:start + n]), "utf-8")


class Tensor:
    """A tensor as the model describes it; ``data`` is set for constant tensors."""

    __slots__ = ("index", "shape", "type", "data", "scales", "scale_bits", "zero_points",
                 "quant_dim")

    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def scale(self):
        return self.scales[0] if self.scales else 0.0

    @property
    def zero_point(self):
        return self.zero_points[0] if self.zero_points else 0


class Operator:
    __slots__ = ("code", "inputs", "outputs", "opts")


# Builtin option tables: slot -> (name, struct format, default).
_OPTS = {
    CONV_2D: ((0, "padding", "<b", 0), (1, "stride_w", "<i", 1), (2, "stride_h", "<i", 1),
              (3, "activation", "<b", 0), (4, "dilation_w", "<i", 1), (5, "dilation_h", "<i", 1)),
    DEPTHWISE_CONV_2D: ((0, "padding", "<b", 0), (1, "stride_w", "<i", 1), (2, "stride_h", "<i", 1),
                        (3, "depth_multiplier", "<i", 1), (4, "activation", "<b", 0),
                        (5, "dilation_w", "<i", 1), (6, "dilation_h", "<i", 1)),
    AVERAGE_POOL_2D: ((0, "padding", "<b", 0), (1, "stride_w", "<i", 1), (2, "stride_h", "<i", 1),
                      (3, "filter_w", "<i", 1), (4, "filter_h", "<i", 1), (5, "activation", "<b", 0)),
    FULLY_CONNECTED: ((0, "activation", "<b", 0), (1, "weights_format", "<b", 0),
                      (2, "keep_num_dims", "<b", 0)),
    SOFTMAX: ((0, "beta_bits", "<I", 0),),
    MEAN: ((0, "keep_dims", "<b", 0),),
}
_OPTS[MAX_POOL_2D] = _OPTS[AVERAGE_POOL_2D]


def parse(buf):
    """Parse a .tflite flatbuffer into (tensors, operators, inputs, outputs) of subgraph 0."""
    if len(buf) < 16:
        raise ModelError("model file is too short to be a .tflite model (%d bytes)" % len(buf))
    if bytes(buf[4:8]) != b"TFL3":
        raise ModelError("not a .tflite model (missing the TFL3 file identifier)")
    r = _Reader(buf)
    root = r.u32(0)
    version = r.scalar(root, 0, "<I", 0)
    if version != 3:
        raise ModelError("unsupported .tflite schema version %d (expected 3)" % version)
    codes = []
    for oc in r.tables(root, 1):
        dep = r.scalar(oc, 0, "<b", 0)
        code = r.scalar(oc, 3, "<i", 0)
        codes.append(max(dep, code))
    buffers = r.tables(root, 4)
    subgraphs = r.tables(root, 2)
    if not subgraphs:
        raise ModelError("model has no subgraph")
    sg = subgraphs[0]
    tensors = []
    for i, t in enumerate(r.tables(sg, 0)):
        pack_heap()
        ten = Tensor()
        ten.index = i
        ten.shape = r.ints(t, 0)
        if not 0 < ten.size() <= 1 << 20:  # a corrupt shape, not a tensor a board could hold
            raise ModelError("model file is corrupt (tensor %d has shape %s)" % (i, list(ten.shape)))
        ten.type = r.scalar(t, 1, "<b", 0)
        bidx = r.scalar(t, 2, "<I", 0)
        ten.data = None
        if bidx:
            if bidx >= len(buffers):
                raise ModelError("model file is corrupt (tensor %d refers to buffer %d)" % (i, bidx))
            data = r.bytes_of(buffers[bidx], 0)
            if len(data):
                ten.data = data
            elif r.field(buffers[bidx], 1):
                raise ModelError("models with out-of-flatbuffer weights (> 2 GB format) are not supported")
        q = r.ref(t, 4)
        ten.scales = ()
        ten.scale_bits = ()
        ten.zero_points = ()
        ten.quant_dim = 0
        if q:
            ten.scale_bits = r.ints(q, 2, "I")
            ten.scales = r.ints(q, 2, "f")
            ten.zero_points = r.ints(q, 3, "q")
            ten.quant_dim = r.scalar(q, 6, "<i", 0)
        tensors.append(ten)
    ops = []
    for o in r.tables(sg, 3):
        pack_heap()
        op = Operator()
        idx = r.scalar(o, 0, "<I", 0)
        if idx >= len(codes):
            raise ModelError("model file is corrupt (operator code %d of %d)" % (idx, len(codes)))
        op.code = codes[idx]
        op.inputs = r.ints(o, 1)
        op.outputs = r.ints(o, 2)
        for k in tuple(op.inputs) + tuple(op.outputs):
            if k >= len(tensors):
                raise ModelError("model file is corrupt (operator uses tensor %d of %d)" % (k, len(tensors)))
        op.opts = {}
        spec = _OPTS.get(op.code)
        if spec:
            tab = r.ref(o, 4)
            for slot, name, fmt, default in spec:
                op.opts[name] = r.scalar(tab, slot, fmt, default) if tab else default
        ops.append(op)
    inputs = r.ints(sg, 1)
    outputs = r.ints(sg, 2)
    return tensors, ops, inputs, outputs
