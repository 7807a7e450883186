"""A pure-MicroPython int8 TFLite interpreter, bit-exact with TFLite-Micro's reference kernels.

    from heatface.tflite import Interpreter
    it = Interpreter(model_bytes)       # parse, check ops, precompute, allocate everything
    it.input[:] = int8_bytes            # bytearray, int8 two's complement, NHWC
    it.invoke()
    it.output                           # bytearray of int8 scores
    it.kernels                          # "native" (heatface_nn module) or "viper"

Supported (int8 activations, int8 weights with per-tensor or per-channel scales, int32 biases):
CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, MEAN (over height and width),
FULLY_CONNECTED, RESHAPE, SOFTMAX; padding SAME/VALID, strides, dilation, fused NONE/RELU/RELU6/
RELU_N1_TO_1. Any other op raises :class:`ModelError` naming it.

The model is parsed once; weights and biases are read in place from the model's bytes (which
may be a memoryview of a file in ROMFS: :func:`heatface.tflite_fb.map_file`), never copied. One
arena holds every activation tensor; requantization tables and a shared scratch are made in the
constructor, and ``invoke`` allocates nothing in the conv/pool/dense kernels: native ones
(:mod:`heatface.tflite_native`) where the firmware's architecture has them, else the viper ones
of :mod:`heatface.tflite_kernels`, which are the portable, bit-exact reference.
The flatbuffer reader is :mod:`heatface.tflite_fb`, the fixed-point arithmetic
:mod:`heatface.tflite_quant`.
"""

import gc
import sys
from array import array

from heatface import tflite_native
from heatface.compat import pack_heap
from heatface.tflite_fb import (AVERAGE_POOL_2D, CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
                                INT8, INT32, MAX_POOL_2D, MEAN, RESHAPE, SOFTMAX, TYPE_NAMES,
                                ModelError, op_name, parse)
from heatface.tflite_quant import (Softmax, activation_range, bit_length, conv_multiplier, fc_multiplier,
                                   ratio_multiplier)

__all__ = ["Interpreter", "ModelError"]

_SUPPORTED = (CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, FULLY_CONNECTED,
              RESHAPE, SOFTMAX)


def _out_size(padding, size, k, stride, dilation):
    eff = (k - 1) * dilation + 1
    if padding == 0:  # SAME
        return (size + stride - 1) // stride
    return (size + stride - eff) // stride


def _pad(size, k, stride, dilation, out):
    eff = (k - 1) * dilation + 1
    total = (out - 1) * stride + eff - size
    return total // 2 if total > 0 else 0


def _viper():
    """The viper kernels, imported only when used: with native kernels only MEAN needs them, and
    their machine code is copied into RAM at import, wherever the .mpy file lives."""
    from heatface import tflite_kernels

    return tflite_kernels


def _int32s(n):
    """A zeroed array('i') of n values, built without a temporary list: MicroPython copies a
    bytearray's raw bytes into an array, CPython (tests) repeats a one-item array."""
    if sys.implementation.name == "micropython":
        return array("i", bytearray(4 * n))
    return array("i", [0]) * n


def _shift_bytes(shifts):
    ls = bytearray(len(shifts))
    rs = bytearray(len(shifts))
    for i, s in enumerate(shifts):
        if s > 0:
            ls[i] = s
        else:
            rs[i] = -s
    return ls, rs


def _row_len(tensors, op):
    """How many int32 accumulators ``op`` needs in the shared row scratch (0 if none)."""
    if op.code in (CONV_2D, DEPTHWISE_CONV_2D):
        shape = tensors[op.outputs[0]].shape
        return shape[2] * shape[3] if len(shape) == 4 else 0
    if op.code == FULLY_CONNECTED:
        return tensors[op.outputs[0]].size()
    if op.code == MEAN:
        shape = tensors[op.inputs[0]].shape
        return shape[-1] if shape else 0
    return 0


class Interpreter:
    """Runs one int8 .tflite model (subgraph 0, one input, one output)."""

    def __init__(self, model, kernels=None, parsed=None):
        """``model``: the .tflite bytes (bytes, bytearray or memoryview, read in place).
        ``kernels``: None picks native kernels when this firmware has them, else viper;
        ``"viper"`` or ``"native"`` forces one. ``parsed``: the result of
        :func:`heatface.tflite_fb.parse` of ``model`` if the caller has it already."""
        if not isinstance(model, (bytes, bytearray, memoryview)):
            raise TypeError("model must be the .tflite file's bytes")
        if kernels not in (None, "native", "viper"):
            raise ValueError("kernels must be None, 'native' or 'viper', not %r" % (kernels,))
        self._nn = None if kernels == "viper" else tflite_native.load()
        if kernels == "native" and self._nn is None:
            raise ModelError("no native kernels for this firmware (architecture %s)"
                             % tflite_native.arch())
        self.kernels = "viper" if self._nn is None else "native"
        self._model = model  # keeps the weight memoryviews alive
        tensors, ops, inputs, outputs = parsed or parse(model)
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError("model must have exactly one input and one output (has %d and %d)"
                             % (len(inputs), len(outputs)))
        self.tensors = tensors
        for op in ops:
            if op.code not in _SUPPORTED:
                raise ModelError("model uses operator %s, which the pure-MicroPython interpreter "
                                 "does not support (supported: CONV_2D, DEPTHWISE_CONV_2D, "
                                 "MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, FULLY_CONNECTED, RESHAPE, "
                                 "SOFTMAX)" % op_name(op.code))
        self._bufs = {}
        self._arena(ops, inputs[0], outputs[0])
        tin = tensors[inputs[0]]
        tout = tensors[outputs[0]]
        for t in (tin, tout):
            if t.type != INT8:
                raise ModelError("model %s tensor is %s, expected int8 (convert with "
                                 "inference_input_type/inference_output_type = tf.int8)"
                                 % ("input" if t is tin else "output", TYPE_NAMES.get(t.type, t.type)))
        self.input = self._buf(tin)
        self.input_shape = tuple(tin.shape)
        self.input_scale = tin.scale
        self.input_zero_point = tin.zero_point
        self.output_shape = tuple(tout.shape)
        self.output_scale = tout.scale
        self.output_zero_point = tout.zero_point
        # int32 accumulators of one output row, shared by every viper conv/dense and mean step
        rows = [_row_len(tensors, op) for op in ops if self._native(op) is None]
        self._row = _int32s(max(rows + [1]))
        self._scratch_need = 0
        self._steps = []
        for op in ops:
            pack_heap()  # compat.pack_heap: the load's objects kept together
            self._steps.append(self._prepare(op))
        # one scratch for every native step that needs one, sized for the largest
        scratch = bytearray(self._scratch_need)
        for step in self._steps:
            if step is not None and step[2] is not None:
                step[1][step[2]] = scratch
        self.output = self._buf(tout)
        self.tensors = self._bufs = None  # the parse is done with: free it

    # --- tensors ---

    def _arena(self, ops, input_index, output_index):
        """One bytearray for every activation tensor (a single allocation limits fragmentation),
        tensors whose lifetimes do not overlap sharing bytes (greedy by size, as TFLM plans its
        arena). The input and output live through the whole run, so they stay readable. A heap
        with no block that large gets a bytearray per tensor instead (``arena`` None)."""
        gc.collect()
        alias = {}  # RESHAPE output -> the tensor whose buffer it shares
        first = {input_index: -1}
        last = {input_index: len(ops)}
        for i, op in enumerate(ops):
            for k in op.inputs:
                if k >= 0 and self.tensors[k].data is None:
                    k = alias.get(k, k)
                    last[k] = i if last.get(k, i) < i else last.get(k, i)
            for k in op.outputs:
                if self.tensors[k].data is not None:
                    raise ModelError("model writes into constant tensor %d" % k)
                if op.code == RESHAPE:
                    alias[k] = alias.get(op.inputs[0], op.inputs[0])
                elif k not in first:
                    first[k] = i
                    last[k] = last.get(k, i)
        last[alias.get(output_index, output_index)] = len(ops)
        items = sorted(((self.tensors[k].size() + 3) & ~3, k) for k in first)
        placed = []  # (offset, size, first, last)
        total = 0
        for size, k in reversed(items):
            a, b = first[k], last[k]
            live = [(o, n) for o, n, f, l in placed if f <= b and a <= l]
            off = 0
            for o, n in sorted(live):
                if off + size <= o:
                    break
                off = max(off, o + n)
            placed.append((off, size, a, b))
            self._bufs[k] = off
            total = max(total, off + size)
        try:
            self.arena = bytearray(total)
        except MemoryError:
            # A fragmented heap (free bytes, but in holes smaller than the plan): a buffer per
            # tensor, each from whatever hole fits it; more bytes in all, none shared.
            self.arena = None
            for k in first:
                self._bufs[k] = bytearray(self.tensors[k].size())
            return
        mv = memoryview(self.arena)
        for k in first:
            off = self._bufs[k]
            self._bufs[k] = mv[off:off + self.tensors[k].size()]

    def _buf(self, t):
        b = self._bufs.get(t.index)
        if b is None:
            raise ModelError("tensor %d is read before any operator writes it" % t.index)
        return b

    def _act(self, op, i, rank=None):
        t = self.tensors[op.inputs[i]]
        if t.type != INT8:
            raise ModelError("%s input is %s; only int8 models are supported"
                             % (op_name(op.code), TYPE_NAMES.get(t.type, t.type)))
        if rank and len(t.shape) != rank:
            raise ModelError("%s input must have %d dimensions, has shape %s"
                             % (op_name(op.code), rank, t.shape))
        return t

    def _const(self, op, i, typ):
        if i >= len(op.inputs) or op.inputs[i] < 0:
            return None
        t = self.tensors[op.inputs[i]]
        if t.data is None:
            raise ModelError("%s input %d must be constant" % (op_name(op.code), i))
        if t.type != typ:
            raise ModelError("%s input %d is %s, expected %s" % (op_name(op.code), i,
                             TYPE_NAMES.get(t.type, t.type), TYPE_NAMES[typ]))
        return t

    def _out(self, op):
        t = self.tensors[op.outputs[0]]
        if t.type != INT8:
            raise ModelError("%s output is %s; only int8 models are supported"
                             % (op_name(op.code), TYPE_NAMES.get(t.type, t.type)))
        return t

    def _native(self, op):
        """The native kernel module if it runs ``op``, else None (viper): it has conv, depthwise,
        pooling and fully connected (native code costs RAM: see its Makefile)."""
        if self._nn is None or op.code not in (CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D,
                                               AVERAGE_POOL_2D, FULLY_CONNECTED):
            return None
        return self._nn

    def _requant(self, op, tin, filt, tout, n, per_tensor_fc=False):
        """Per-channel (multiplier array, shifts) for n output channels, shifts as the kernels
        take them: an int32 array (native) or (left shifts, right shifts) bytes (viper)."""
        mult = _int32s(n)
        shifts = _int32s(n)
        bits = filt.scale_bits
        if len(bits) not in (1, n):
            raise ModelError("%s has %d weight scales for %d channels" % (op_name(op.code), len(bits), n))
        for c in range(n):
            fb = bits[c if len(bits) > 1 else 0]
            if per_tensor_fc and len(bits) == 1:
                m, s = fc_multiplier(tin.scale_bits[0], fb, tout.scale_bits[0])
            else:
                m, s = conv_multiplier(tin.scale_bits[0], fb, tout.scale_bits[0])
            mult[c] = m
            shifts[c] = s
        return mult, (shifts if self._native(op) else _shift_bytes(shifts))

    def _bias(self, op, n):
        """The int32 biases in place (a memoryview into the model); absent: None for the native
        kernels, zeros for viper. The native kernels read words: an unaligned bias (a model
        mapped from ROMFS) is copied."""
        b = self._const(op, 2, INT32)
        nn = self._native(op)
        if b is None:
            return None if nn else bytes(4 * n)
        if b.size() != n:
            raise ModelError("%s bias has %d values for %d channels" % (op_name(op.code), b.size(), n))
        if nn is None or nn.aligned(b.data):
            return b.data
        return array("i", bytearray(b.data))  # MicroPython only: a raw copy

    def _native_step(self, kern, args, scratch_kind, p):
        """A prepared native step whose argument list gets the shared scratch once all are made."""
        self._scratch_need = max(self._scratch_need, self._nn.scratch_size(scratch_kind, p))
        return (kern, args, 6 if scratch_kind != tflite_native.POOL else 2)

    # --- ops ---

    def _prepare(self, op):
        code = op.code
        if code == RESHAPE:
            tin = self._act(op, 0)
            tout = self._out(op)
            if tin.size() != tout.size():
                raise ModelError("RESHAPE changes the element count")
            if op.outputs[0] in self._bufs:
                raise ModelError("RESHAPE output is already allocated")
            self._bufs[op.outputs[0]] = self._buf(tin)
            return None
        if code in (CONV_2D, DEPTHWISE_CONV_2D):
            return self._prep_conv(op)
        if code in (MAX_POOL_2D, AVERAGE_POOL_2D):
            return self._prep_pool(op)
        if code == FULLY_CONNECTED:
            return self._prep_fc(op)
        if code == MEAN:
            return self._prep_mean(op)
        return self._prep_softmax(op)

    def _prep_conv(self, op):
        o = op.opts
        tin = self._act(op, 0, 4)
        filt = self._const(op, 1, INT8)
        tout = self._out(op)
        _, ih, iw, ic = tin.shape
        _, oh, ow, oc = tout.shape
        if op.code == CONV_2D:
            if filt.shape[0] != oc or filt.shape[3] != ic:
                raise ModelError("CONV_2D filter shape %s does not match %d->%d channels" % (filt.shape, ic, oc))
            dm = 1
        else:
            dm = o["depth_multiplier"]
            if filt.shape[3] != oc or ic * dm != oc:
                raise ModelError("DEPTHWISE_CONV_2D filter shape %s does not match %d->%d channels"
                                 % (filt.shape, ic, oc))
        kh, kw = filt.shape[1], filt.shape[2]
        sh, sw, dh, dw = o["stride_h"], o["stride_w"], o["dilation_h"], o["dilation_w"]
        pad = o["padding"]
        if (_out_size(pad, ih, kh, sh, dh), _out_size(pad, iw, kw, sw, dw)) != (oh, ow):
            raise ModelError("%s output shape %s does not follow from its input" % (op_name(op.code), tout.shape))
        ph = _pad(ih, kh, sh, dh, oh)
        pw = _pad(iw, kw, sw, dw, ow)
        lo, hi = activation_range(o["activation"], tout.scale_bits[0], tout.zero_point)
        mult, shifts = self._requant(op, tin, filt, tout, oc)
        p = (ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, ph, pw, dh, dw, -tin.zero_point, dm)
        q = (tout.zero_point, lo, hi)
        inp, wts, out, bias = self._buf(tin), filt.data, self._buf(tout), self._bias(op, oc)
        if self._native(op) is None:
            kern = _viper().conv2d if op.code == CONV_2D else _viper().depthwise_conv2d
            return (kern, (inp, wts, out, bias, mult, shifts[0], shifts[1], self._row, q, p), None)
        pn = array("i", p + q)
        if op.code == CONV_2D:
            return self._native_step(self._nn.conv, [inp, wts, bias, out, mult, shifts, None, pn],
                                     tflite_native.CONV, pn)
        return self._native_step(self._nn.depthwise, [inp, wts, bias, out, mult, shifts, None, pn],
                                 tflite_native.DEPTHWISE, pn)

    def _prep_pool(self, op):
        o = op.opts
        tin = self._act(op, 0, 4)
        tout = self._out(op)
        if tin.scale_bits != tout.scale_bits or tin.zero_point != tout.zero_point:
            raise ModelError("%s with different input and output quantization" % op_name(op.code))
        _, ih, iw, ch = tin.shape
        _, oh, ow, _ = tout.shape
        kh, kw, sh, sw = o["filter_h"], o["filter_w"], o["stride_h"], o["stride_w"]
        pad = o["padding"]
        if (_out_size(pad, ih, kh, sh, 1), _out_size(pad, iw, kw, sw, 1)) != (oh, ow):
            raise ModelError("%s output shape %s does not follow from its input" % (op_name(op.code), tout.shape))
        lo, hi = activation_range(o["activation"], tout.scale_bits[0], tout.zero_point)
        p = (ih, iw, ch, oh, ow, kh, kw, sh, sw, _pad(ih, kh, sh, 1, oh), _pad(iw, kw, sw, 1, ow),
             1 if op.code == AVERAGE_POOL_2D else 0, lo, hi)
        if self._native(op) is None:
            return (_viper().pool2d, (self._buf(tin), self._buf(tout), p), None)
        pn = array("i", p)
        return self._native_step(self._nn.pool, [self._buf(tin), self._buf(tout), None, pn],
                                 tflite_native.POOL, pn)

    def _prep_fc(self, op):
        tin = self._act(op, 0)
        filt = self._const(op, 1, INT8)
        tout = self._out(op)
        n, k = filt.shape
        if tin.size() != k or tout.size() != n:
            raise ModelError("FULLY_CONNECTED shapes do not match: input %s, weights %s, output %s"
                             % (tin.shape, filt.shape, tout.shape))
        lo, hi = activation_range(op.opts["activation"], tout.scale_bits[0], tout.zero_point)
        mult, shifts = self._requant(op, tin, filt, tout, n, per_tensor_fc=True)
        p = (k, n, -tin.zero_point)
        q = (tout.zero_point, lo, hi)
        inp, out, bias = self._buf(tin), self._buf(tout), self._bias(op, n)
        if self._native(op) is None:
            return (_viper().fully_connected, (inp, filt.data, out, bias, mult, shifts[0], shifts[1],
                                               self._row, q, p), None)
        per_channel = 1 if len(filt.scale_bits) > 1 else 0
        return (self._nn.fc, (inp, filt.data, bias, out, mult, shifts, array("i", p + q + (per_channel,))),
                None)

    def _prep_mean(self, op):
        tin = self._act(op, 0, 4)
        axis_t = self._const(op, 1, INT32)
        tout = self._out(op)
        axes = []
        for i in range(axis_t.size()):
            a = axis_t.data[4 * i] | (axis_t.data[4 * i + 1] << 8)
            axes.append(a if a < 0x8000 else a - 0x10000)
        axes = sorted(set(a + 4 if a < 0 else a for a in axes))
        if axes != [1, 2]:
            raise ModelError("MEAN is supported over height and width only (axes %s)" % axes)
        _, ih, iw, ch = tin.shape
        n = ih * iw
        keep = op.opts["keep_dims"]
        same = tin.scale_bits == tout.scale_bits and tin.zero_point == tout.zero_point
        m, s = ratio_multiplier(tin.scale_bits[0], tout.scale_bits[0])
        if same and not keep:
            mode = 1  # reference_ops::Mean: truncating division of the raw sum
        else:
            # reference_integer_ops::Mean (keep_dims) and reference_ops::QuantizedMeanOrSum both
            # fold 1/n into the multiplier ("readapt output rescaling")
            mode = 2
            sh = bit_length(n) - 1
            sh = min(sh, 32, 31 + s)
            m = (m << sh) // n
            s -= sh
        ls, rs = _shift_bytes((s,))
        state = (self._buf(tin), self._buf(tout), self._row, n, ch,
                 0 if mode == 1 else tin.zero_point, mode, array("i", (m,)), ls, rs,
                 (tout.zero_point, -128, 127))
        return (_mean, state, None)

    def _prep_softmax(self, op):
        tin = self._act(op, 0)
        tout = self._out(op)
        if tout.zero_point != -128 or tout.scale_bits[0] != 0x3B800000:  # 1/256
            raise ModelError("int8 SOFTMAX output must have scale 1/256 and zero point -128")
        depth = tin.shape[-1]
        sm = Softmax(op.opts["beta_bits"], tin.scale_bits[0])
        return (_softmax, (sm, self._buf(tin), self._buf(tout), depth, tin.size() // depth), None)

    # --- running ---

    def invoke(self):
        """Run the model on ``self.input``; the result is in ``self.output``."""
        for step in self._steps:
            if step is not None:
                step[0](*step[1])


def _mean(inp, out, sums, n, ch, in_zp, mode, mult, ls, rs, q):
    K = _viper()
    K.channel_sums(inp, sums, n, ch, in_zp)
    if mode == 2:
        K.requantize_row(sums, out, 0, ch, 1, mult, ls, rs, q)
        return
    for c in range(ch):
        acc = sums[c]
        v = acc // n if acc >= 0 else -((-acc) // n)
        v = -128 if v < -128 else (127 if v > 127 else v)
        out[c] = v & 0xFF


def _softmax(sm, inp, out, depth, rows):
    if rows == 1:
        sm.row(inp, out, depth)
        return
    for r in range(rows):
        a = r * depth
        sm.row(memoryview(inp)[a:a + depth], memoryview(out)[a:a + depth], depth)
