"""CPython stand-in for MicroPython's ``micropython`` module (host only, never deployed).

Device code writes ``import micropython`` and ``@micropython.viper`` exactly as on a board; under
CPython this module makes those decorators plain functions. Viper code annotates arguments with
``ptr8``/``ptr16``/``ptr32``/``uint``, names the MicroPython compiler knows but CPython evaluates
at definition time, so they are added to builtins here.
"""

import builtins


def const(value):
    return value


def native(func):
    return func


def viper(func):
    return func


class _ViperType:
    """Stands in for a viper annotation name; never used at run time."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __call__(self, value):
        # viper casts such as uint(x); on the boards machine words are 32 bits
        return int(value) & 0xFFFFFFFF if self.name == "uint" else int(value)


for _name in ("ptr", "ptr8", "ptr16", "ptr32", "uint"):
    if not hasattr(builtins, _name):
        setattr(builtins, _name, _ViperType(_name))


def mem_info(*args):
    pass


def heap_lock():
    return 0


def heap_unlock():
    return 0
