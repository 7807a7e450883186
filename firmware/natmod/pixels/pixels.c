// heatface_pixels: the per-pixel loops of heatface as a dynamic native module.
//
// Each function is the C twin of a portable MicroPython function that stays the reference:
//   to_subpage    heatface.mlx90640._to_python   (MLX90640 To of one subpage)
//   render_index  heatface.render._index_viper   (temperatures -> palette indices)
//   render_strip  heatface.render._strip_viper   (bilinear upscale + palette lookup of a strip)
//   gray8         heatface.grayscale._to_gray8_python
//   motion        heatface.modes._frame_motion_python
// Float maths runs in mp_float_t, the firmware's own float type (FLOAT_BITS tells Python which
// one this build has), with the same operations in the same order as the reference, so results
// are bit-identical (the build disables fused multiply-add and x87 excess precision).
// Buffers are passed in; nothing is allocated per call except returned floats.

#include "py/dynruntime.h"

#if MICROPY_FLOAT_IMPL == MICROPY_FLOAT_IMPL_FLOAT
#define FLOAT_BITS (32)
#define GET_FLOAT(o) mp_obj_get_float_to_f(o)
#define NEW_FLOAT(f) mp_obj_new_float_from_f(f)
#define SQRT(x) __builtin_sqrtf(x)
#else
#define FLOAT_BITS (64)
#define GET_FLOAT(o) mp_obj_get_float_to_d(o)
#define NEW_FLOAT(f) mp_obj_new_float_from_d(f)
#define SQRT(x) __builtin_sqrt(x)
#endif

#define KELVIN ((mp_float_t)273.15)

static void *buffer(mp_obj_t obj, size_t *len, int flags) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(obj, &info, flags);
    if (len != NULL) {
        *len = info.len;
    }
    return info.buf;
}

// a buffer of float32 values: array('f') (anything else would be misread)
static float *floats32(mp_obj_t obj, size_t *n, int flags) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(obj, &info, flags);
    if (info.typecode != 'f') {
        mp_raise_TypeError(MP_ERROR_TEXT("expected array('f')"));
    }
    if (n != NULL) {
        *n = info.len / sizeof(float);
    }
    return info.buf;
}

// n floats from a tuple or list of Python floats (raises TypeError / ValueError)
static void floats(mp_obj_t seq, size_t n, mp_float_t *out) {
    size_t len;
    mp_obj_t *items;
    mp_obj_get_array(seq, &len, &items);
    if (len != n) {
        mp_raise_ValueError(MP_ERROR_TEXT("wrong number of constants"));
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = GET_FLOAT(items[i]);
    }
}

// to_subpage(words, idx, out, P, O, K, frame, il, rng)
//   words: array('h') of the RAM words; idx: array('H') of the subpage's pixel indices;
//   out: array('f') of 768 To (degC); P, O, K: array('f') per-pixel constants;
//   frame: (g, dta, kvf0, kvf1, kvf2, kvf3, c, tatr); il: 8 floats or None; rng: 11 floats.
static mp_obj_t to_subpage(size_t n_args, const mp_obj_t *args) {
    const int16_t *words = buffer(args[0], NULL, MP_BUFFER_READ);
    size_t n_idx;
    const uint16_t *idx = buffer(args[1], &n_idx, MP_BUFFER_READ);
    size_t n_out, n_p, n_o, n_k;
    float *out = floats32(args[2], &n_out, MP_BUFFER_WRITE);
    const float *P = floats32(args[3], &n_p, MP_BUFFER_READ);
    const float *O = floats32(args[4], &n_o, MP_BUFFER_READ);
    const float *K = floats32(args[5], &n_k, MP_BUFFER_READ);
    mp_float_t f[8], il[8], rng[11];
    floats(args[6], 8, f);
    bool has_il = args[7] != mp_const_none;
    if (has_il) {
        floats(args[7], 8, il);
    }
    floats(args[8], 11, rng);
    if (n_out < 768 || n_p < 768 || n_o < 768 || n_k < 768) {
        mp_raise_ValueError(MP_ERROR_TEXT("per-pixel arrays need 768 floats"));
    }
    mp_float_t g = f[0], dta = f[1], c = f[6], tatr = f[7];
    mp_float_t a1 = rng[2], k1 = rng[3], lo = rng[8], hi = rng[9];
    n_idx /= sizeof(uint16_t);
    for (size_t i = 0; i < n_idx; i++) {
        unsigned p = idx[i];
        if (p >= 768) {
            mp_raise_ValueError(MP_ERROR_TEXT("pixel index out of range"));
        }
        mp_float_t x = (mp_float_t)words[p] * g - ((mp_float_t)O[p] + (mp_float_t)K[p] * dta) * f[2 + (((p >> 4) & 2) | (p & 1))] + c;
        if (has_il) {
            x += il[((p >> 3) & 4) | (p & 3)];
        }
        x *= (mp_float_t)P[p];
        mp_float_t t = x + tatr;
        if (t <= 0) {
            out[p] = -KELVIN;
            continue;
        }
        t = x / (a1 + k1 * SQRT(SQRT(t))) + tatr;
        if (t <= 0) {
            out[p] = -KELVIN;
            continue;
        }
        mp_float_t t1 = SQRT(SQRT(t));
        if (lo <= t1 && t1 < hi) {
            t = x / (a1 + k1 * t1) + tatr;
        } else {
            int r = t1 < lo ? 0 : (t1 < rng[10] ? 2 : 3);
            t = x / (rng[2 * r] + rng[2 * r + 1] * t1) + tatr;
        }
        if (t <= 0) {
            out[p] = -KELVIN;
        } else {
            out[p] = SQRT(SQRT(t)) - KELVIN;
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(to_subpage_obj, 9, 9, to_subpage);

// float32 bits -> trunc(T * 256) saturated to +-2**20, NaN -> -2**20 (see heatface.render)
static inline int32_t q8(uint32_t b) {
    uint32_t e = (b >> 23) & 0x1FF;
    uint32_t neg = e >> 8;
    int32_t q;
    e &= 0xFF;
    if (e < 119) {
        q = 0;
    } else if (e >= 139) {
        q = 0x100000;
        if (e == 255 && (b & 0x7FFFFF) != 0) {
            neg = 1;
        }
    } else {
        q = ((b & 0x7FFFFF) | 0x800000) >> (142 - e);
    }
    return neg ? -q : q;
}

// render_index(src, lohi, out, n): src array('f') of n, lohi array('f') [lo, hi], out bytearray
static mp_obj_t render_index(size_t n_args, const mp_obj_t *args) {
    size_t n_src, n_lohi, n_out;
    const uint32_t *src = (const uint32_t *)floats32(args[0], &n_src, MP_BUFFER_READ);
    const uint32_t *lohi = (const uint32_t *)floats32(args[1], &n_lohi, MP_BUFFER_READ);
    uint8_t *out = buffer(args[2], &n_out, MP_BUFFER_WRITE);
    mp_int_t n = mp_obj_get_int(args[3]);
    if (n < 0 || (size_t)n > n_src || (size_t)n > n_out || n_lohi < 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("buffers too small"));
    }
    int32_t ql = q8(lohi[0]), qh = q8(lohi[1]);
    int32_t span = qh - ql;
    for (mp_int_t k = 0; k < n; k++) {
        int32_t q = q8(src[k]);
        if (q <= ql) {
            out[k] = 0;
        } else if (q >= qh) {
            out[k] = 255;
        } else {
            out[k] = ((q - ql) * 510 + span) / (span * 2);
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(render_index_obj, 4, 4, render_index);

// render_strip(idx, pal, out, tab, runs, params, y, rows)
//   idx: 768 palette indices; pal: 256 RGB565 entries (2 bytes each, copied as they are);
//   out: strip buffer; tab: the renderer's bytearray (per column x0, x1, fx, then per row y0, y1,
//   fy); runs: array('h') of column runs (x0, x1, f0, fstep, count), each a stretch of output
//   columns whose weight fx steps evenly; params: array('i') [w, h, d, d*d, x_from, x_to]: output
//   columns x_from .. x_to-1 of rows y .. y+rows-1 are written, packed.
// Within a run the bilinear numerator r0*(d-f) + r1*f changes by (r1-r0)*fstep per column, so
// each output pixel costs one add, one divide and the palette copy; the result is the same exact
// integer as the per-pixel formula.
static mp_obj_t render_strip(size_t n_args, const mp_obj_t *args) {
    size_t n_idx, n_pal, n_out, n_tab, n_runs, n_par;
    const uint8_t *idx = buffer(args[0], &n_idx, MP_BUFFER_READ);
    const uint16_t *pal = buffer(args[1], &n_pal, MP_BUFFER_READ);
    uint16_t *out = buffer(args[2], &n_out, MP_BUFFER_WRITE);
    const uint8_t *tab = buffer(args[3], &n_tab, MP_BUFFER_READ);
    const int16_t *runs = buffer(args[4], &n_runs, MP_BUFFER_READ);
    const int32_t *par = buffer(args[5], &n_par, MP_BUFFER_READ);
    mp_int_t y = mp_obj_get_int(args[6]);
    mp_int_t rows = mp_obj_get_int(args[7]);
    if (n_par < 24 || n_idx < 768 || n_pal < 512) {
        mp_raise_ValueError(MP_ERROR_TEXT("bad renderer tables"));
    }
    int32_t w = par[0], h = par[1], d = par[2], x_from = par[4], x_to = par[5];
    uint32_t dd = par[3], half = dd >> 1;
    n_runs /= 5 * sizeof(int16_t);
    if (y < 0 || rows < 0 || y + rows > h || n_tab < (size_t)(3 * w + 3 * h) || x_from < 0
        || x_to > w || x_from >= x_to || n_out < (size_t)(2 * (x_to - x_from) * rows)) {
        mp_raise_ValueError(MP_ERROR_TEXT("strip out of range"));
    }
    const uint8_t *ty = tab + 3 * w;
    int32_t rowbuf[32];
    for (mp_int_t yy = y; yy < y + rows; yy++) {
        const uint8_t *a = idx + 32 * ty[yy];
        const uint8_t *b = idx + 32 * ty[h + yy];
        int32_t fy = ty[2 * h + yy], gy = d - fy;
        for (int c = 0; c < 32; c++) {
            rowbuf[c] = a[c] * gy + b[c] * fy;
        }
        const int16_t *run = runs;
        int32_t start = 0;
        for (size_t r = 0; r < n_runs && start < x_to; r++, run += 5) {
            int32_t count = run[4], skip = x_from - start;
            start += count;
            if (skip >= count) {
                continue;
            }
            if (skip < 0) {
                skip = 0;
            }
            if (start > x_to) {
                count -= start - x_to;
            }
            int32_t r0 = rowbuf[run[0] & 31], r1 = rowbuf[run[1] & 31];
            int32_t f = run[2] + skip * run[3];
            uint32_t num = (uint32_t)(r0 * (d - f) + r1 * f) + half;
            int32_t step = (r1 - r0) * run[3];
            for (int32_t k = count - skip; k > 0; k--) {
                *out++ = pal[num / dd];
                num += step;
            }
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(render_strip_obj, 8, 8, render_strip);

// gray8(temps, out, scale, offset): out[i] = clamp(int(temps[i] * scale + offset), 0, 255)
static mp_obj_t gray8(size_t n_args, const mp_obj_t *args) {
    size_t n_src, n_out;
    const float *src = floats32(args[0], &n_src, MP_BUFFER_READ);
    uint8_t *out = buffer(args[1], &n_out, MP_BUFFER_WRITE);
    mp_float_t scale = GET_FLOAT(args[2]), offset = GET_FLOAT(args[3]);
    size_t n = n_src;
    if (n_out < n) {
        mp_raise_ValueError(MP_ERROR_TEXT("out is too short"));
    }
    for (size_t i = 0; i < n; i++) {
        mp_float_t v = (mp_float_t)src[i] * scale + offset;
        if (v <= 0) {
            out[i] = 0;
        } else if (v >= 255) {
            out[i] = 255;
        } else {
            out[i] = (uint8_t)(int)v;
        }
    }
    return MP_OBJ_FROM_PTR(args[1]);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(gray8_obj, 4, 4, gray8);

// motion(a, b): mean of |a[i] - b[i]| over two array('f') of the same length
static mp_obj_t motion(mp_obj_t a_in, mp_obj_t b_in) {
    size_t n_a, n_b;
    const float *a = floats32(a_in, &n_a, MP_BUFFER_READ);
    const float *b = floats32(b_in, &n_b, MP_BUFFER_READ);
    if (n_a != n_b || n_a == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("frames differ in size"));
    }
    size_t n = n_a;
    mp_float_t total = 0;
    for (size_t i = 0; i < n; i++) {
        mp_float_t d = (mp_float_t)a[i] - (mp_float_t)b[i];
        total += d > 0 ? d : -d;
    }
    return NEW_FLOAT(total / (mp_float_t)n);
}
static MP_DEFINE_CONST_FUN_OBJ_2(motion_obj, motion);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_to_subpage, MP_OBJ_FROM_PTR(&to_subpage_obj));
    mp_store_global(MP_QSTR_render_index, MP_OBJ_FROM_PTR(&render_index_obj));
    mp_store_global(MP_QSTR_render_strip, MP_OBJ_FROM_PTR(&render_strip_obj));
    mp_store_global(MP_QSTR_gray8, MP_OBJ_FROM_PTR(&gray8_obj));
    mp_store_global(MP_QSTR_motion, MP_OBJ_FROM_PTR(&motion_obj));
    mp_store_global(MP_QSTR_FLOAT_BITS, MP_OBJ_NEW_SMALL_INT(FLOAT_BITS));
    MP_DYNRUNTIME_INIT_EXIT
}
