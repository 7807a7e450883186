// heatface_nn: int8 CNN kernels for heatface's TFLite interpreter (lib/heatface/tflite.py), as a
// MicroPython dynamic native module. The arithmetic is ARM's CMSIS-NN (compiled in from its
// sources, unmodified; SMLAD on Cortex-M4), which is bit-exact with TFLite Micro's reference
// kernels; this file only unpacks buffers and parameters. The parameter layouts are fixed by
// heatface.tflite_native (one int32 array per operator, made at load).
#include "py/dynruntime.h"

#include "arm_nnfunctions.h"
// MicroPython's MIN/MAX (py/misc.h) and CMSIS-NN's are the same macros; CMSIS-NN redefines them
#undef MAX
#undef MIN
#include "arm_nnsupportfunctions.h"

// CMSIS-NN calls memcpy/memset; a native module has no libc, so route them to the firmware's.
void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
void *memset(void *s, int c, size_t n) {
    return mp_fun_table.memset_(s, c, n);
}

// Conv/depthwise parameters: ih iw ic oh ow oc kh kw sh sw ph pw dh dw in_off dm out_off lo hi
enum { P_IH, P_IW, P_IC, P_OH, P_OW, P_OC, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW,
       P_IN_OFF, P_DM, P_OUT_OFF, P_LO, P_HI, P_CONV_N };
// Pool parameters: ih iw ch oh ow kh kw sh sw ph pw is_avg lo hi
enum { Q_IH, Q_IW, Q_CH, Q_OH, Q_OW, Q_KH, Q_KW, Q_SH, Q_SW, Q_PH, Q_PW, Q_AVG, Q_LO, Q_HI, P_POOL_N };
// Fully connected parameters: k n in_off out_off lo hi per_channel
enum { F_K, F_N, F_IN_OFF, F_OUT_OFF, F_LO, F_HI, F_PER_CH, P_FC_N };

static void *buffer(mp_obj_t obj, size_t need, int flags) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(obj, &b, flags);
    if (b.len < need) {
        mp_raise_ValueError(MP_ERROR_TEXT("buffer too small"));
    }
    return b.buf;
}

static const int32_t *params(mp_obj_t obj, size_t n) {
    const int32_t *p = buffer(obj, n * sizeof(int32_t), MP_BUFFER_READ);
    if ((uintptr_t)p & 3) {
        mp_raise_ValueError(MP_ERROR_TEXT("parameters must be an array('i')"));
    }
    return p;
}

// A bias is None or int32 values; CMSIS-NN reads them as words, so they must be 4-byte aligned.
static const int32_t *bias_of(mp_obj_t obj, size_t n) {
    if (obj == mp_const_none) {
        return NULL;
    }
    const int32_t *b = buffer(obj, n * sizeof(int32_t), MP_BUFFER_READ);
    if ((uintptr_t)b & 3) {
        mp_raise_ValueError(MP_ERROR_TEXT("bias is not 4-byte aligned"));
    }
    return b;
}

// aligned(buf): whether buf's data is 4-byte aligned (a bias can then be read in place).
static mp_obj_t aligned(mp_obj_t buf_in) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(buf_in, &b, MP_BUFFER_READ);
    return mp_obj_new_bool(((uintptr_t)b.buf & 3) == 0);
}
static MP_DEFINE_CONST_FUN_OBJ_1(aligned_obj, aligned);

static void check(arm_cmsis_nn_status st) {
    if (st != ARM_CMSIS_NN_SUCCESS) {
        mp_raise_ValueError(MP_ERROR_TEXT("CMSIS-NN rejected the operator"));
    }
}

static void conv_setup(const int32_t *p, cmsis_nn_conv_params *cp, cmsis_nn_dims *in, cmsis_nn_dims *flt,
                       cmsis_nn_dims *out) {
    cp->input_offset = p[P_IN_OFF];
    cp->output_offset = p[P_OUT_OFF];
    cp->stride.w = p[P_SW];
    cp->stride.h = p[P_SH];
    cp->padding.w = p[P_PW];
    cp->padding.h = p[P_PH];
    cp->dilation.w = p[P_DW];
    cp->dilation.h = p[P_DH];
    cp->activation.min = p[P_LO];
    cp->activation.max = p[P_HI];
    in->n = 1; in->h = p[P_IH]; in->w = p[P_IW]; in->c = p[P_IC];
    flt->n = p[P_OC]; flt->h = p[P_KH]; flt->w = p[P_KW]; flt->c = p[P_IC];
    out->n = 1; out->h = p[P_OH]; out->w = p[P_OW]; out->c = p[P_OC];
}

static void dw_setup(const int32_t *p, cmsis_nn_dw_conv_params *dp, cmsis_nn_dims *in, cmsis_nn_dims *flt,
                     cmsis_nn_dims *out) {
    cmsis_nn_conv_params cp;
    conv_setup(p, &cp, in, flt, out);
    dp->input_offset = cp.input_offset;
    dp->output_offset = cp.output_offset;
    dp->ch_mult = p[P_DM];
    dp->stride = cp.stride;
    dp->padding = cp.padding;
    dp->dilation = cp.dilation;
    dp->activation = cp.activation;
    flt->n = 1;
    flt->c = p[P_OC];
}

static void pool_setup(const int32_t *p, cmsis_nn_pool_params *pp, cmsis_nn_dims *in, cmsis_nn_dims *flt,
                       cmsis_nn_dims *out) {
    pp->stride.w = p[Q_SW];
    pp->stride.h = p[Q_SH];
    pp->padding.w = p[Q_PW];
    pp->padding.h = p[Q_PH];
    pp->activation.min = p[Q_LO];
    pp->activation.max = p[Q_HI];
    in->n = 1; in->h = p[Q_IH]; in->w = p[Q_IW]; in->c = p[Q_CH];
    flt->n = 1; flt->h = p[Q_KH]; flt->w = p[Q_KW]; flt->c = 1;
    out->n = 1; out->h = p[Q_OH]; out->w = p[Q_OW]; out->c = p[Q_CH];
}

// scratch_size(kind, p): bytes of scratch the operator needs; kind 0 conv, 1 depthwise, 2 pool.
static mp_obj_t scratch_size(mp_obj_t kind_in, mp_obj_t p_in) {
    mp_int_t kind = mp_obj_get_int(kind_in);
    cmsis_nn_dims in, flt, out;
    int32_t n = 0;
    if (kind == 0) {
        cmsis_nn_conv_params cp;
        conv_setup(params(p_in, P_CONV_N), &cp, &in, &flt, &out);
        n = arm_convolve_s8_get_buffer_size(&in, &flt);
    } else if (kind == 1) {
        cmsis_nn_dw_conv_params dp;
        dw_setup(params(p_in, P_CONV_N), &dp, &in, &flt, &out);
        n = 0;  // arm_depthwise_conv_s8 needs no scratch
    } else {
        const int32_t *p = params(p_in, P_POOL_N);
        n = p[Q_AVG] ? arm_avgpool_s8_get_buffer_size(p[Q_OW], p[Q_CH]) : 0;
    }
    return mp_obj_new_int(n);
}
static MP_DEFINE_CONST_FUN_OBJ_2(scratch_size_obj, scratch_size);

// conv(inp, wts, bias, out, mult, shift, scratch, p) and depthwise(...): CONV_2D and
// DEPTHWISE_CONV_2D, per-channel int32 multipliers and shifts (shift > 0: left).
static mp_obj_t conv_any(const mp_obj_t *args, int depthwise) {
    const int32_t *p = params(args[7], P_CONV_N);
    size_t oc = p[P_OC];
    size_t nw = depthwise ? (size_t)p[P_KH] * p[P_KW] * oc : oc * p[P_KH] * p[P_KW] * p[P_IC];
    const int8_t *inp = buffer(args[0], (size_t)p[P_IH] * p[P_IW] * p[P_IC], MP_BUFFER_READ);
    const int8_t *wts = buffer(args[1], nw, MP_BUFFER_READ);
    const int32_t *bias = bias_of(args[2], oc);
    int8_t *outp = buffer(args[3], (size_t)p[P_OH] * p[P_OW] * oc, MP_BUFFER_WRITE);
    cmsis_nn_per_channel_quant_params q = {
        (int32_t *)params(args[4], oc), (int32_t *)params(args[5], oc)
    };
    mp_buffer_info_t sb;
    mp_get_buffer_raise(args[6], &sb, MP_BUFFER_WRITE);
    cmsis_nn_context ctx = { sb.buf, (int32_t)sb.len };
    cmsis_nn_dims in, flt, bias_dims = { 1, 1, 1, (int32_t)oc }, out;
    if (depthwise) {
        cmsis_nn_dw_conv_params dp;
        dw_setup(p, &dp, &in, &flt, &out);
        check(arm_depthwise_conv_s8(&ctx, &dp, &q, &in, inp, &flt, wts, &bias_dims, bias, &out, outp));
    } else {
        cmsis_nn_conv_params cp;
        conv_setup(p, &cp, &in, &flt, &out);
        if (arm_convolve_s8_get_buffer_size(&in, &flt) > ctx.size) {
            mp_raise_ValueError(MP_ERROR_TEXT("scratch too small"));
        }
        check(arm_convolve_s8(&ctx, &cp, &q, &in, inp, &flt, wts, &bias_dims, bias, NULL, &out, outp));
    }
    return mp_const_none;
}

static mp_obj_t conv(size_t n_args, const mp_obj_t *args) {
    return conv_any(args, 0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(conv_obj, 8, 8, conv);

static mp_obj_t depthwise(size_t n_args, const mp_obj_t *args) {
    return conv_any(args, 1);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(depthwise_obj, 8, 8, depthwise);

// pool(inp, out, scratch, p): MAX_POOL_2D or AVERAGE_POOL_2D (p[is_avg]).
static mp_obj_t pool(size_t n_args, const mp_obj_t *args) {
    const int32_t *p = params(args[3], P_POOL_N);
    const int8_t *inp = buffer(args[0], (size_t)p[Q_IH] * p[Q_IW] * p[Q_CH], MP_BUFFER_READ);
    int8_t *outp = buffer(args[1], (size_t)p[Q_OH] * p[Q_OW] * p[Q_CH], MP_BUFFER_WRITE);
    mp_buffer_info_t sb;
    mp_get_buffer_raise(args[2], &sb, MP_BUFFER_WRITE);
    cmsis_nn_context ctx = { sb.buf, (int32_t)sb.len };
    cmsis_nn_pool_params pp;
    cmsis_nn_dims in, flt, out;
    pool_setup(p, &pp, &in, &flt, &out);
    if (p[Q_AVG]) {
        if (arm_avgpool_s8_get_buffer_size(p[Q_OW], p[Q_CH]) > ctx.size) {
            mp_raise_ValueError(MP_ERROR_TEXT("scratch too small"));
        }
        check(arm_avgpool_s8(&ctx, &pp, &in, inp, &flt, &out, outp));
    } else {
        check(arm_max_pool_s8(&ctx, &pp, &in, inp, &flt, &out, outp));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(pool_obj, 4, 4, pool);

// fc(inp, wts, bias, out, mult, shift, p): FULLY_CONNECTED, per-tensor (one multiplier) or
// per-channel (p[F_PER_CH] = 1: n multipliers and shifts).
static mp_obj_t fc(size_t n_args, const mp_obj_t *args) {
    const int32_t *p = params(args[6], P_FC_N);
    size_t k = p[F_K], n = p[F_N];
    size_t nq = p[F_PER_CH] ? n : 1;
    const int8_t *inp = buffer(args[0], k, MP_BUFFER_READ);
    const int8_t *wts = buffer(args[1], k * n, MP_BUFFER_READ);
    const int32_t *bias = bias_of(args[2], n);
    int8_t *outp = buffer(args[3], n, MP_BUFFER_WRITE);
    const int32_t *mult = params(args[4], nq);
    const int32_t *shift = params(args[5], nq);
    cmsis_nn_context ctx = { NULL, 0 };
    cmsis_nn_fc_params fp;
    fp.input_offset = p[F_IN_OFF];
    fp.filter_offset = 0;
    fp.output_offset = p[F_OUT_OFF];
    fp.activation.min = p[F_LO];
    fp.activation.max = p[F_HI];
    cmsis_nn_dims in = { 1, 1, 1, (int32_t)k }, flt = { (int32_t)k, 1, 1, (int32_t)n };
    cmsis_nn_dims bias_dims = { 1, 1, 1, (int32_t)n }, out = { 1, 1, 1, (int32_t)n };
    if (p[F_PER_CH]) {
        // CMSIS-NN's per-channel kernel is unrolled (1.5 KB more machine code in RAM) for a layer
        // of a few outputs: the same sums and arm_nn_requantize, one output at a time
        for (size_t o = 0; o < n; o++) {
            const int8_t *w = wts + o * k;
            int32_t acc = bias ? bias[o] : 0;
            for (size_t i = 0; i < k; i++) {
                acc += ((int32_t)inp[i] + fp.input_offset) * w[i];
            }
            acc = arm_nn_requantize(acc, mult[o], shift[o]) + fp.output_offset;
            acc = acc < fp.activation.min ? fp.activation.min : acc;
            outp[o] = (int8_t)(acc > fp.activation.max ? fp.activation.max : acc);
        }
    } else {
        cmsis_nn_per_tensor_quant_params q = { mult[0], shift[0] };
        check(arm_fully_connected_s8(&ctx, &fp, &q, &in, inp, &flt, wts, &bias_dims, bias, &out, outp));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(fc_obj, 7, 7, fc);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_ABI, MP_OBJ_NEW_SMALL_INT(2));
    mp_store_global(MP_QSTR_aligned, MP_OBJ_FROM_PTR(&aligned_obj));
    mp_store_global(MP_QSTR_scratch_size, MP_OBJ_FROM_PTR(&scratch_size_obj));
    mp_store_global(MP_QSTR_conv, MP_OBJ_FROM_PTR(&conv_obj));
    mp_store_global(MP_QSTR_depthwise, MP_OBJ_FROM_PTR(&depthwise_obj));
    mp_store_global(MP_QSTR_pool, MP_OBJ_FROM_PTR(&pool_obj));
    mp_store_global(MP_QSTR_fc, MP_OBJ_FROM_PTR(&fc_obj));

    MP_DYNRUNTIME_INIT_EXIT
}
