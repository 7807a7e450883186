"""numpy-backed stand-in for ``ulab.numpy`` exposing only ulab's real surface (CPython only).

What ulab has (and so this shim): dtypes bool, uint8, int8, uint16, int16 and float (32-bit, as
on the boards); at most 2 dimensions; the functions listed in ``__all__``; ndarray methods
reshape, transpose, byteswap, copy, flatten, tobytes, tolist, sort and properties dtype, flat,
itemsize, ndim, shape, size, strides, T; arithmetic and comparison operators; indexing by int,
slice, (int|slice, int|slice), and by a boolean mask on 1-D arrays.

What raises (because ulab lacks it): any other attribute or function (``astype``, ``.sum()``,
``.max()``, ``abs``, ``round``, ``stack``, ``int32``, ``float64``, ...), a third dimension,
integer-array ("fancy") indexing, boolean masks on 2-D arrays, unsupported dtypes.
"""

import numpy as _n

bool = _n.dtype(_n.bool_)  # noqa: A001 - ulab's names
uint8 = _n.dtype(_n.uint8)
int8 = _n.dtype(_n.int8)
uint16 = _n.dtype(_n.uint16)
int16 = _n.dtype(_n.int16)
float = _n.dtype(_n.float32)  # noqa: A001
_DTYPES = (bool, uint8, int8, uint16, int16, float)

pi = _n.pi
e = _n.e
inf = _n.inf
nan = _n.nan


def _check_dtype(dtype):
    if dtype is None:
        return None
    dt = _n.dtype(dtype)
    if dt not in _DTYPES:
        raise TypeError("ulab has no dtype %s (only bool, uint8, int8, uint16, int16, float)" % dt)
    return dt


def _result_dtype(dt):
    """ulab's dtype for a numpy result: supported int types stay, the rest become float."""
    if dt in _DTYPES:
        return dt
    return float


def _wrap(value):
    """numpy result -> ndarray shim or Python scalar."""
    if isinstance(value, _n.ndarray):
        if value.ndim == 0:
            return value.item()
        if value.ndim > 2:
            raise ValueError("ulab arrays have at most 2 dimensions")
        dt = _result_dtype(value.dtype)
        if dt != value.dtype:
            value = value.astype(dt)
        return ndarray(value)
    if isinstance(value, _n.generic):
        return value.item()
    return value


def _unwrap(value):
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (list, tuple)):
        raise TypeError("ulab functions take ndarrays or scalars here, not %s" % type(value).__name__)
    return value


class ndarray:
    """ulab.numpy.ndarray stand-in; wraps a numpy array of a supported dtype, 1 or 2 dims."""

    __slots__ = ("_a",)

    def __init__(self, a):
        object.__setattr__(self, "_a", a)

    def __setattr__(self, name, value):
        raise AttributeError("ulab ndarray has no writable attribute %r" % name)

    # properties ulab has
    dtype = property(lambda self: self._a.dtype)
    itemsize = property(lambda self: self._a.itemsize)
    ndim = property(lambda self: self._a.ndim)
    shape = property(lambda self: self._a.shape)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: ndarray(self._a.T))
    flat = property(lambda self: iter(self._a.flatten().tolist()))

    # methods ulab has
    def reshape(self, shape):
        if isinstance(shape, int):
            shape = (shape,)
        if len(shape) > 2:
            raise ValueError("ulab arrays have at most 2 dimensions")
        return ndarray(self._a.reshape(shape))

    def transpose(self):
        return ndarray(self._a.transpose())

    def byteswap(self, inplace=False):
        if inplace:
            self._a.byteswap(inplace=True)
            return self
        return ndarray(self._a.byteswap())

    def copy(self):
        return ndarray(self._a.copy())

    def flatten(self):
        return ndarray(self._a.flatten())

    def tobytes(self):
        return self._a.tobytes()

    def tolist(self):
        return self._a.tolist()

    def sort(self, axis=-1):
        self._a.sort(axis=axis)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for item in self._a:
            yield _wrap(item)

    def __repr__(self):
        return "array(%s, dtype=%s)" % (self._a.tolist(), self._a.dtype)

    def _index(self, key):
        if isinstance(key, ndarray):
            if key._a.dtype != bool:
                raise IndexError("ulab has no integer-array indexing (use take)")
            if key._a.ndim != 1 or self._a.ndim != 1:
                raise IndexError("ulab boolean masks work on 1-D arrays only")
            return key._a
        items = key if isinstance(key, tuple) else (key,)
        if len(items) > self._a.ndim:
            raise IndexError("too many indices")
        for item in items:
            if not isinstance(item, (int, slice)) or isinstance(item, type(True)):
                raise IndexError("ulab indexes with ints, slices or a 1-D boolean mask only")
        return key

    def __getitem__(self, key):
        return _wrap(self._a[self._index(key)])

    def __setitem__(self, key, value):
        self._a[self._index(key)] = _unwrap(value)

    def __bool__(self):
        if self._a.size != 1:
            raise ValueError("truth value of an array with more than one element is ambiguous")
        return builtins_bool(self._a.item())

    def _binary(op):
        def method(self, other):
            if isinstance(other, (list, tuple)):
                raise TypeError("ulab operators take ndarrays or scalars")
            return _wrap(getattr(self._a, op)(_unwrap(other)))
        method.__name__ = op
        return method

    for _op in ("add", "sub", "mul", "truediv", "floordiv", "pow", "mod", "eq", "ne", "lt",
                "le", "gt", "ge", "radd", "rsub", "rmul", "rtruediv", "rfloordiv", "rpow"):
        locals()["__%s__" % _op] = _binary("__%s__" % _op)
    del _op

    def _inplace(op):
        def method(self, other):
            result = getattr(self._a, op)(_unwrap(other))
            if result.dtype != self._a.dtype:
                raise TypeError("in-place operation would change the dtype")
            self._a[...] = result
            return self
        return method

    __iadd__ = _inplace("__add__")
    __isub__ = _inplace("__sub__")
    __imul__ = _inplace("__mul__")
    __itruediv__ = _inplace("__truediv__")

    def __neg__(self):
        return _wrap(-self._a)

    def __pos__(self):
        return self

    def __abs__(self):
        return _wrap(_n.abs(self._a))

    __hash__ = None


builtins_bool = __builtins__["bool"] if isinstance(__builtins__, dict) else __builtins__.bool


def _from_obj(obj, dtype):
    dtype = _check_dtype(dtype) or float
    if isinstance(obj, ndarray):
        a = obj._a.astype(dtype)
    else:
        a = _n.array(list(obj) if not isinstance(obj, (list, tuple)) else obj, dtype=dtype)
    if a.ndim > 2:
        raise ValueError("ulab arrays have at most 2 dimensions")
    return ndarray(a)


def array(obj, dtype=float):
    """ulab.numpy.array: from an iterable (nested at most 2 deep) or an ndarray; default float."""
    return _from_obj(obj, dtype)


def asarray(obj, dtype=None):
    if isinstance(obj, ndarray) and (dtype is None or _n.dtype(dtype) == obj.dtype):
        return obj
    return _from_obj(obj, dtype)


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    """Shares memory with ``buffer`` (as ulab does)."""
    return ndarray(_n.frombuffer(buffer, dtype=_check_dtype(dtype), count=count, offset=offset))


def _shape(shape):
    if isinstance(shape, int):
        shape = (shape,)
    if len(shape) > 2:
        raise ValueError("ulab arrays have at most 2 dimensions")
    return shape


def zeros(shape, dtype=float):
    return ndarray(_n.zeros(_shape(shape), dtype=_check_dtype(dtype)))


def ones(shape, dtype=float):
    return ndarray(_n.ones(_shape(shape), dtype=_check_dtype(dtype)))


def empty(shape, dtype=float):
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=float):
    return ndarray(_n.full(_shape(shape), fill_value, dtype=_check_dtype(dtype)))


def eye(n, M=None, k=0, dtype=float):
    return ndarray(_n.eye(n, M, k, dtype=_check_dtype(dtype)))


def arange(*args, dtype=None):
    if dtype is None:
        dtype = float if any(isinstance(a, type(1.0)) for a in args) else int16
    return ndarray(_n.arange(*args, dtype=_check_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=float):
    a = _n.linspace(start, stop, num, endpoint=endpoint, dtype=_check_dtype(dtype))
    if retstep:
        return ndarray(a), (stop - start) / (num - 1 if endpoint else num)
    return ndarray(a)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=float):
    return ndarray(_n.logspace(start, stop, num, endpoint=endpoint, base=base).astype(_check_dtype(dtype)))


def _passthrough(name):
    func = getattr(_n, name)

    def wrapper(*args, **kwargs):
        return _wrap(func(*[_unwrap(a) for a in args], **{k: _unwrap(v) for k, v in kwargs.items()}))

    wrapper.__name__ = name
    wrapper.__doc__ = "ulab.numpy.%s (numpy-backed stand-in)" % name
    return wrapper


_PASSTHROUGH = (
    "diag", "clip", "where", "maximum", "minimum", "equal", "not_equal", "isfinite", "isinf",
    "sum", "mean", "max", "min", "argmax", "argmin", "std", "median", "argsort", "take", "compress",
    "delete", "flip", "roll", "diff", "dot", "trace", "cross", "convolve", "interp", "trapz",
    "polyfit", "polyval", "all", "any", "size", "around", "ceil", "floor", "exp", "expm1", "log",
    "log10", "log2", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "degrees", "radians",
    "sinc", "arctan2", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
)
for _name in _PASSTHROUGH:
    if _name == "trapz" and not hasattr(_n, "trapz"):
        globals()[_name] = _passthrough("trapezoid")
    else:
        globals()[_name] = _passthrough(_name)
acos = _passthrough("arccos")
asin = _passthrough("arcsin")
atan = _passthrough("arctan")
del _name


def sort(a, axis=-1):
    return ndarray(_n.sort(_unwrap(a), axis=axis))


def nonzero(a):
    return tuple(ndarray(i.astype(uint16)) for i in _n.nonzero(_unwrap(a)))


def concatenate(arrays, axis=0):
    return _wrap(_n.concatenate([_unwrap(a) for a in arrays], axis=axis))


def meshgrid(*arrays):
    return tuple(_wrap(m) for m in _n.meshgrid(*[_unwrap(a) for a in arrays]))


def vectorize(f, otypes=None):
    def apply(a):
        src = _unwrap(a)
        out = _n.array([f(v) for v in _n.asarray(src).flat], dtype=_check_dtype(otypes) or float)
        return ndarray(out.reshape(_n.shape(src)))
    return apply


__all__ = [
    "array", "asarray", "frombuffer", "arange", "zeros", "ones", "empty", "full", "eye", "linspace",
    "logspace", "meshgrid", "concatenate", "sort", "nonzero", "vectorize", "acos", "asin", "atan",
    "ndarray", "bool", "uint8", "int8", "uint16", "int16", "float", "pi", "e", "inf", "nan",
] + list(_PASSTHROUGH)


def __getattr__(name):
    raise AttributeError("ulab.numpy has no %r (the shim exposes only ulab's real surface)" % name)
