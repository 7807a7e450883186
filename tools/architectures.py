"""Candidate CNNs for heatface's 24x32x1 int8 input, and their cost in multiply-accumulates.

Every candidate uses only ops the on-board interpreter implements (heatface.tflite: CONV_2D,
DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, FULLY_CONNECTED, RESHAPE, SOFTMAX). The
input has batch size 1 so Flatten converts to RESHAPE. The first layer on the full 24x32
resolution dominates the cost of the original model (``base8``); the cheaper ones shrink it with a
stride-2 first layer (``s2``), a 2x2 stride-2 "space-to-depth" layer feeding depthwise-separable
blocks (``s2d_sep``), separable blocks after a strided stem (``sep``) or half the widths (``w4``).
"""

ROWS, COLS = 24, 32


def _io(n_classes):
    import keras

    return keras, keras.Input((ROWS, COLS, 1), batch_size=1, name="gray")


def _head(keras, inp, x, n_classes, name):
    from keras import layers

    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inp, out, name=name)


def _plain(width, name):
    def build(n_classes):
        """3 x (3x3 conv + ReLU + 2x2 max-pool), widths w, 2w, 3w; flatten, dense softmax."""
        from keras import layers

        keras, inp = _io(n_classes)
        x = inp
        for mult in (1, 2, 3):
            x = layers.Conv2D(width * mult, 3, padding="same", activation="relu")(x)
            x = layers.MaxPooling2D(2)(x)
        return _head(keras, inp, x, n_classes, name)
    return build


def build_s2(n_classes):
    """3x3 stride-2 conv (8) + pool, 3x3 conv (16) + pool, 3x3 conv (24); flatten, dense."""
    from keras import layers

    keras, inp = _io(n_classes)
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(24, 3, padding="same", activation="relu")(x)
    return _head(keras, inp, x, n_classes, "s2")


def _separable(x, channels):
    from keras import layers

    x = layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    return layers.Conv2D(channels, 1, activation="relu")(x)


def build_s2d_sep(n_classes):
    """2x2 stride-2 conv (16, space-to-depth), separable (16) + pool, separable (32) + pool."""
    from keras import layers

    keras, inp = _io(n_classes)
    x = layers.Conv2D(16, 2, strides=2, activation="relu")(inp)
    x = layers.MaxPooling2D(2)(_separable(x, 16))
    x = layers.MaxPooling2D(2)(_separable(x, 32))
    return _head(keras, inp, x, n_classes, "s2d_sep")


def build_sep(n_classes):
    """3x3 stride-2 conv (8), separable (16) + pool, separable (24) + pool."""
    from keras import layers

    keras, inp = _io(n_classes)
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.MaxPooling2D(2)(_separable(x, 16))
    x = layers.MaxPooling2D(2)(_separable(x, 24))
    return _head(keras, inp, x, n_classes, "sep")


CANDIDATES = {
    "base8": _plain(8, "base8"),
    "w4": _plain(4, "w4"),
    "s2": build_s2,
    "s2d_sep": build_s2d_sep,
    "sep": build_sep,
}
DEFAULT = "s2"


def build(name, n_classes):
    """The Keras model of candidate ``name`` for ``n_classes`` outputs."""
    if name not in CANDIDATES:
        raise SystemExit("unknown architecture %r (choose from %s, or all)" % (name, ", ".join(CANDIDATES)))
    return CANDIDATES[name](n_classes)


def count_macs(model):
    """Multiply-accumulates of one inference, from the Keras layers."""
    macs = 0
    for layer in model.layers:
        kind = type(layer).__name__
        shape = layer.output.shape
        if kind == "Conv2D":
            kh, kw = layer.kernel_size
            macs += shape[1] * shape[2] * shape[3] * kh * kw * layer.input.shape[-1]
        elif kind == "DepthwiseConv2D":
            kh, kw = layer.kernel_size
            macs += shape[1] * shape[2] * shape[3] * kh * kw
        elif kind == "Dense":
            macs += layer.input.shape[-1] * shape[-1]
    return int(macs)
