"""The ulab stand-in: what ulab has works like numpy, what ulab lacks raises."""

from array import array

import pytest
from ulab import numpy as np


def test_dtypes_and_float_is_32_bit():
    for name in ("bool", "uint8", "int8", "uint16", "int16", "float"):
        assert hasattr(np, name)
    assert np.zeros(3).dtype == np.float and np.zeros(3).itemsize == 4
    for name in ("int32", "float64", "float32", "int64", "uint32", "complex"):
        with pytest.raises(AttributeError):
            getattr(np, name)
    with pytest.raises(TypeError):
        np.zeros(3, dtype="int32")


def test_arithmetic_functions_and_reductions():
    a = np.array([1.0, 4.0, 9.0])
    assert np.sqrt(a).tolist() == [1.0, 2.0, 3.0]
    assert (a * 2 + 1).tolist() == [3.0, 9.0, 19.0]
    assert np.sum(a) == 14.0 and np.max(a) == 9.0 and np.argmax(a) == 2
    assert np.where(a > 2, a, 0.0).tolist() == [0.0, 4.0, 9.0]
    assert np.maximum(a, 5.0).tolist() == [5.0, 5.0, 9.0]
    assert np.clip(a, 2, 5).tolist() == [2.0, 4.0, 5.0]
    assert (np.array([1, 2], dtype=np.uint8) + np.array([1, 2], dtype=np.int8)).dtype == np.int16
    assert np.mean(np.array([[1, 2], [3, 4]]), axis=0).tolist() == [2.0, 3.0]


def test_frombuffer_shares_memory_and_byteswap():
    buf = array("f", [1.0, 2.0, 3.0])
    view = np.frombuffer(buf, dtype=np.float)
    view[:] = view * 2
    assert list(buf) == [2.0, 4.0, 6.0]
    words = np.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=np.uint16)
    assert words.byteswap().tolist() == [0x0102, 0x0304]


def test_indexing_rules():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    assert a[1] == 2.0 and a[1:3].tolist() == [2.0, 3.0]
    assert a[a > 2].tolist() == [3.0, 4.0]  # 1-D boolean mask
    m = np.array([[1, 2], [3, 4]])
    assert m[1, 0] == 3.0 and m[0].tolist() == [1.0, 2.0] and m.T[0, 1] == 3.0
    with pytest.raises(IndexError):
        a[np.array([0, 2], dtype=np.uint8)]  # integer-array fancy indexing
    with pytest.raises(IndexError):
        a[[0, 2]]
    with pytest.raises(IndexError):
        m[m > 2]  # boolean masks only on 1-D arrays


def test_missing_methods_and_functions_raise():
    a = np.array([1.0, -2.0])
    for method in ("astype", "sum", "max", "min", "mean", "round", "clip", "view", "fill"):
        with pytest.raises(AttributeError):
            getattr(a, method)
    for func in ("abs", "round", "prod", "cumsum", "stack", "pad", "unique", "float32", "einsum"):
        with pytest.raises(AttributeError):
            getattr(np, func)
    assert abs(a).tolist() == [1.0, 2.0]  # the builtin abs() works on ulab arrays


def test_at_most_two_dimensions():
    with pytest.raises(ValueError):
        np.zeros((2, 2, 2))
    with pytest.raises(ValueError):
        np.array([[[1]]])
    with pytest.raises(ValueError):
        np.zeros(8).reshape((2, 2, 2))
