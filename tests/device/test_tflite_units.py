"""Interpreter pieces: viper requantization vs the integer reference, exact multipliers, errors."""

from array import array

from heatface import tflite_kernels as K
from heatface import tflite_quant as Q
from heatface.tflite import Interpreter, ModelError
from mptest import data_path, raises


def _model(name):
    with open(data_path("models/" + name + ".tflite"), "rb") as f:
        return f.read()


def _shifts(shifts):
    return (bytearray(s if s > 0 else 0 for s in shifts), bytearray(-s if s < 0 else 0 for s in shifts))


def test_viper_requantize_matches_integer_reference():
    # requantize_row stores clamp(mbqm + out_zp) as int8; with out_zp = 5 - want the stored value
    # is 5 exactly when the full 32-bit mbqm result equals the reference (else it is pushed off 5)
    xs = (0, 1, -1, 2, -2, 3, 1000, -1000, 123456, -123456, 8388607, -8388608, 65535, -65536,
          1073741823, -1073741823, 2147483647, -2147483647)
    ms = (1073741824, 1073741825, 1518500250, 1879048192, 2147483647, 1234567890, 0)
    acc = array("i", [0])
    mult = array("i", [0])
    out = bytearray(1)
    for x in xs:
        acc[0] = x
        for m in ms:
            mult[0] = m
            for shift in (0, -1, -5, -8, -12, -17, -31, 1, 3):
                if shift > 0 and abs(x) >= (1 << (31 - shift)):
                    continue  # the left shift would overflow int32 (undefined in C too)
                ls, rs = _shifts((shift,))
                want = Q.mbqm(x, m, shift)
                K.requantize_row(acc, out, 0, 1, 1, mult, ls, rs, (5 - want, -128, 127))
                assert out[0] == 5, (x, m, shift, want, out[0])


def test_requantize_row_cycles_channels_offsets_and_clamps():
    accs = (100000, -100000, 7, 2000000, -3, -2000000, 0, 4095)
    mults = (1518500250, 1073741824, 2147483647, 1879048192)
    shifts = (-10, -3, 0, -14)
    zp, lo, hi = -7, -100, 90
    acc = array("i", accs)
    ls, rs = _shifts(shifts)
    out = bytearray(b"\xaa" * 12)
    K.requantize_row(acc, out, 3, 8, 4, array("i", mults), ls, rs, (zp, lo, hi))
    assert out[:3] == b"\xaa" * 3 and out[11:] == b"\xaa"
    for i, x in enumerate(accs):
        c = i % 4
        want = min(hi, max(lo, Q.mbqm(x, mults[c], shifts[c]) + zp))
        assert (out[3 + i] ^ 128) - 128 == want, (i, want, out[3 + i])
    assert min(out[3:11]) != max(out[3:11])


def test_srdhm_and_rounding_divide_known_values():
    # SaturatingRoundingDoublingHighMul(a, b) = a * b / 2**31 rounded, ties upward
    # (gemmlowp's nudge is 2**30 for ab >= 0, 1 - 2**30 below, then C truncation)
    assert Q.srdhm(1 << 30, 1 << 30) == 1 << 29
    assert Q.srdhm(-3, 1 << 30) == -1  # -1.5
    assert Q.srdhm(-5, 1 << 30) == -2  # -2.5
    assert Q.srdhm(-7, 1 << 29) == -2  # -1.75
    assert Q.srdhm(3, 1 << 30) == 2  # 1.5
    assert Q.srdhm(Q.INT32_MIN, Q.INT32_MIN) == Q.INT32_MAX
    # RoundingDivideByPOT rounds half away from zero
    assert Q.rdbpot(5, 1) == 3 and Q.rdbpot(-5, 1) == -3 and Q.rdbpot(-6, 2) == -2


def test_quantize_multiplier_exact_cases():
    # 0.5 = 2**30 / 2**31, shift 0; 0.75 -> 3 * 2**29; 1.0 -> 2**30, shift 1
    assert Q.quantize_multiplier(1, 2) == (1 << 30, 0)
    assert Q.quantize_multiplier(3, 4) == (3 << 29, 0)
    assert Q.quantize_multiplier(1, 1) == (1 << 30, 1)
    # 1/3: frexp gives 2/3 * 2**-1; round(2/3 * 2**31) = 1431655765
    assert Q.quantize_multiplier(1, 3) == (1431655765, -1)
    assert Q.quantize_multiplier(0, 1) == (0, 0)


def test_activation_ranges():
    one_bits = 0x3F800000  # 1.0
    tenth_bits = 0x3DCCCCCD  # 0.1f
    assert Q.activation_range(0, one_bits, -5) == (-128, 127)
    assert Q.activation_range(1, one_bits, -5) == (-5, 127)
    assert Q.activation_range(3, one_bits, -128) == (-128, -122)
    assert Q.activation_range(3, tenth_bits, -128) == (-128, -68)  # round(6 / 0.1f) = 60


def test_softmax_uniform_row():
    sm = Q.Softmax(0x3F800000, 0x3D800000)  # beta 1, input scale 1/16
    out = bytearray(4)
    sm.row(bytes(4), out, 4)
    # four equal logits: 0.25 each = 64/256 -> int8 64 - 128 = -64
    assert list(out) == [(-64) & 0xFF] * 4


def test_garbage_and_truncated_models_are_rejected():
    assert "too short" in str(raises(ModelError, Interpreter, b"abc"))
    assert "TFL3" in str(raises(ModelError, Interpreter, bytes(range(64))))
    data = _model("conv_pool")
    for cut in (40, 200, len(data) // 2, len(data) - 100):
        raises(ModelError, Interpreter, data[:cut])
    raises(TypeError, Interpreter, "model.tflite")


def test_unsupported_op_is_named():
    exc = raises(ModelError, Interpreter, _model("bad_tanh"))
    assert "TANH" in str(exc), str(exc)


def test_interpreter_reports_quantization():
    it = Interpreter(_model("face_like"))
    assert it.input_shape == (1, 24, 32, 1)
    assert len(it.input) == 768 and len(it.output) == 4
    assert it.output_zero_point == -128
    assert abs(it.output_scale - 1 / 256) < 1e-9
