"""The MLX90640 To computation vectorized through ``ulab.numpy`` (see :mod:`heatface.mlx90640`).

Split from the driver so that firmware without ulab never loads it. It works on the 384 pixels
of one subpage at a time: the per-pixel constants are kept compacted per subpage (rebuilt when
the chess/interleaved pattern changes) and every float temporary is preallocated, so a subpage
allocates only a few small arrays (the subpage's raw words, comparison masks): no 3 KB
temporaries to fragment a 176 KB heap. Within 0.01 degC of the pure path, not bit-identical
(the operations are grouped differently).
"""

from array import array

from ulab import numpy as np

_PIXELS = 768
_HALF = 384
_KELVIN = 273.15


class UlabTo:
    """Vectorized To of one subpage. ``P``, ``O``, ``K``: the driver's per-pixel constants
    (``array('f')``: 1/alpha, offset, offset*kta); ``kv4``: kv per parity class; ``ram``: the
    driver's RAM word buffer (``array('h')``, read in place)."""

    def __init__(self, P, O, K, kv4, ram):
        self._src = (P, O, K)
        self._kv4 = kv4
        self._words = np.frombuffer(ram, dtype=np.int16, count=_PIXELS)
        self._f32 = np.zeros(1, dtype=np.float).itemsize == 4
        z = np.zeros
        # per subpage: mask over 768 pixels, then compacted P, O, K, kv and IL (IL: allocated when
        # the pattern needs the interleaved-vs-chess correction)
        self._masks = (z(_PIXELS, dtype=np.bool), z(_PIXELS, dtype=np.bool))
        self._const = ([z(_HALF) for _ in range(4)] + [None], [z(_HALF) for _ in range(4)] + [None])
        self._has_il = False
        self._x = z(_HALF)
        self._t = z(_HALF)
        self._d = z(_HALF)
        self._all = np.ones(_HALF, dtype=np.bool)  # assigns a whole array without a copy

    def set_mode(self, idx, il):
        """Subpage pixel sets changed: ``idx`` is the driver's pair of index arrays, ``il`` its
        8 interleaved-vs-chess corrections (or None)."""
        P, O, K = self._src
        kv4 = self._kv4
        self._has_il = il is not None
        for s in (0, 1):
            mask = self._masks[s]
            if il is not None and self._const[s][4] is None:
                self._const[s][4] = np.zeros(_HALF)
            cP, cO, cK, ckv, cil = self._const[s]
            for p in range(_PIXELS):
                mask[p] = False
            i = 0
            for p in idx[s]:
                mask[p] = True
                cP[i] = P[p]
                cO[i] = O[p]
                cK[i] = K[p]
                ckv[i] = kv4[((p >> 4) & 2) | (p & 1)]
                if il is not None:
                    cil[i] = il[((p >> 3) & 4) | (p & 3)]
                i += 1

    def compute(self, subpage, idx, temps, g, dta, dv, m, c, tatr, rng):
        """To (degC) of the subpage's pixels into ``temps``; the others are left as they were."""
        mask = self._masks[subpage]
        cP, cO, cK, ckv, cil = self._const[subpage]
        x, t, d, every = self._x, self._t, self._d, self._all
        a1, k1 = rng[2], rng[3]
        # x = (V * g - (O + K * dta) * m * (1 + kv * dv) + c [+ IL * m]) / alpha
        x[every] = self._words[mask]
        x *= g
        t[every] = cK
        t *= dta
        t += cO
        d[every] = ckv
        d *= dv * m
        d += m
        t *= d
        x -= t
        x += c
        if self._has_il:
            d[every] = cil
            d *= m
            x += d
        x *= cP
        # T^(1/4) estimate, refined once, then the range-dependent denominator. A pixel colder than
        # 0 K somewhere on the way (a broken one) becomes NaN here and -273.15 degC at the end.
        t[every] = x
        t += tatr
        np.sqrt(t, out=t)
        np.sqrt(t, out=t)
        t *= k1
        t += a1
        d[every] = x
        d /= t
        d += tatr
        np.sqrt(d, out=t)
        np.sqrt(t, out=t)
        d[every] = t
        d *= k1
        d += a1
        # extended ranges, rare pixels only: above ct2 (range 2), above ct3 (3), below 0 degC (0);
        # masks (allocations) only when the subpage's extremes reach a range
        if np.max(t) >= rng[9]:
            for r, sel in ((2, t >= rng[9]), (3, t >= rng[10])):
                if np.any(sel):
                    d[sel] = t[sel] * rng[2 * r + 1] + rng[2 * r]
        if np.min(t) < rng[8]:
            sel = t < rng[8]
            d[sel] = t[sel] * rng[1] + rng[0]
        x /= d
        x += tatr
        np.sqrt(x, out=x)
        np.sqrt(x, out=x)
        x -= _KELVIN
        total = np.sum(x)
        if total != total:  # NaN: the datasheet gives no temperature there
            sel = x != x
            x[sel] = -_KELVIN
        if self._f32 and type(temps) is array:
            view = np.frombuffer(temps, dtype=np.float, count=_PIXELS)
            view[mask] = x
        else:
            i = 0
            for p in idx:
                temps[p] = x[i]
                i += 1
