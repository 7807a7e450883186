"""Fitting one heatface CNN (tools/train.py): thermal-safe augmentation (named settings), the
network input (named normalisations, as heatface.classifier computes them on the board), the clock
that keeps a run within its time budget, and the Keras fit with burst-true early stopping."""

import os
import sys
import time

import numpy as np

import architectures

_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
for _p in (os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims"), _LIB):
    if _p not in sys.path:
        sys.path.insert(0, _p)
from heatface.classifier import AMBIENT_OFFSET, INPUT_NORMS  # noqa: E402  (one place per fact)

ROWS, COLS = 24, 32
DEFAULT_NORM = "gray"
DEFAULT_AUGMENT = "default"
# what `make train` / train.py use unless told: the staged search's choice within the board's
# budgets (models/search.md)
CHOSEN_AUGMENT, CHOSEN_NORM = "room", "ambient"


# --------------------------------------------------------------------------- augmentation

# Named augmentation settings (tools/train.py --augment), chosen by cross-validation and new-room
# accuracy. "room" imitates what real rooms do to captures (issue 13: people further away, objects
# hotter than people, ambient drift between sessions, a noisier sensor) from those descriptions
# alone: nothing in it is drawn from or fitted to the held-out new-room sets.
AUGMENTATIONS = {
    "none": None,
    "geometric": {"shift": (2.0, 3.0), "rot_deg": 8.0, "zoom": 0.15, "offset": 0.0, "noise": 0.0},
    "default": {"shift": (2.0, 3.0), "rot_deg": 8.0, "zoom": 0.15, "offset": 12.0, "noise": 3.0},
    "room": {"shift": (3.0, 5.0), "rot_deg": 10.0, "zoom": (0.55, 1.15), "offset": 30.0, "noise": (2.0, 9.0),
             "chess": 5.0, "hot_p": 0.5},
}


def augment(x, rng, shift=(2.0, 3.0), rot_deg=8.0, zoom=0.15, offset=12.0, noise=3.0, chess=0.0, hot_p=0.0):
    """Thermal-safe augmentation of (N, 24, 32) uint8 images -> float32 in gray units.

    Affine shifts, small rotations and zoom (bilinear; ``zoom`` a +-fraction, or a (min, max)
    scale, below 1 shrinking the scene as if further away, the uncovered border filled with the
    frame's lower quartile, its background), a global offset (a warmer or cooler day, in gray
    levels, clamped like the sensor mapping), pixel noise (sigma, or a (min, max) range drawn per
    image), a chess-pattern offset of up to ``chess`` levels (the MLX90640's subpages) and, with
    probability ``hot_p``, a hot object (a block at 190..255, i.e. 33 degC up to clamped).
    No flips and no colour jitter: left/right asymmetries and the absolute temperature scale
    can be identity cues.
    """
    n = len(x)
    ang = np.radians(rng.uniform(-rot_deg, rot_deg, n))
    sc = rng.uniform(zoom[0], zoom[1], n) if isinstance(zoom, tuple) else 1.0 + rng.uniform(-zoom, zoom, n)
    ty = rng.uniform(-shift[0], shift[0], n)
    tx_ = rng.uniform(-shift[1], shift[1], n)
    yy, xx = np.mgrid[0:ROWS, 0:COLS].astype(np.float32)
    yc, xc = yy - (ROWS - 1) / 2.0, xx - (COLS - 1) / 2.0
    cos, sin = (np.cos(ang) / sc)[:, None, None], (np.sin(ang) / sc)[:, None, None]
    sy_raw = cos * yc - sin * xc + (ROWS - 1) / 2.0 - ty[:, None, None]
    sx_raw = sin * yc + cos * xc + (COLS - 1) / 2.0 - tx_[:, None, None]
    sy, sx = np.clip(sy_raw, 0, ROWS - 1), np.clip(sx_raw, 0, COLS - 1)
    y0 = np.minimum(np.floor(sy).astype(np.int64), ROWS - 2)
    x0 = np.minimum(np.floor(sx).astype(np.int64), COLS - 2)
    fy, fx = sy - y0, sx - x0
    flat = x.reshape(n, -1).astype(np.float32)
    base = y0 * COLS + x0

    def at(idx):
        return np.take_along_axis(flat, idx.reshape(n, -1), axis=1).reshape(n, ROWS, COLS)

    out = ((1 - fy) * ((1 - fx) * at(base) + fx * at(base + 1))
           + fy * ((1 - fx) * at(base + COLS) + fx * at(base + COLS + 1)))
    if isinstance(zoom, tuple):  # shrinking uncovers a border: the background, not smeared edges
        outside = (sy_raw < -0.5) | (sy_raw > ROWS - 0.5) | (sx_raw < -0.5) | (sx_raw > COLS - 0.5)
        background = np.percentile(flat, 25, axis=1)[:, None, None]
        out = np.where(outside, background, out)
    if hot_p:
        for i in np.flatnonzero(rng.random(n) < hot_p):
            h, w = rng.integers(2, 7), rng.integers(2, 9)
            r0, c0 = rng.integers(0, ROWS - h + 1), rng.integers(0, COLS - w + 1)
            out[i, r0:r0 + h, c0:c0 + w] = rng.uniform(190.0, 255.0)
    out += rng.uniform(-offset, offset, (n, 1, 1))
    if chess:
        board = (np.add.outer(np.arange(ROWS), np.arange(COLS)) % 2) * 2.0 - 1.0
        out += rng.uniform(0.0, chess, (n, 1, 1)) * board
    sigma = rng.uniform(noise[0], noise[1], (n, 1, 1)) if isinstance(noise, tuple) else noise
    out += rng.normal(0.0, 1.0, out.shape) * sigma
    return np.clip(out, 0.0, 255.0).astype(np.float32)


def augmented(x, rng, name):
    """``x`` under the named setting of :data:`AUGMENTATIONS` (float32 gray units)."""
    params = AUGMENTATIONS[name]
    return np.asarray(x, np.float32) if params is None else augment(x, rng, **params)


def normalise(gray, norm=DEFAULT_NORM):
    """What the network sees of (N, 24, 32) gray images under ``norm`` (:data:`INPUT_NORMS`), as
    heatface.classifier computes it on the board: ``"gray"`` the image as it is; ``"ambient"``
    ``clamp(gray - a + AMBIENT_OFFSET, 0, 255)``, ``a`` the floor of the frame's mean. uint8 in,
    uint8 out, bit-exact with the board; float (augmented) images stay float."""
    if norm not in INPUT_NORMS:
        raise SystemExit("unknown input normalisation %r (choose from %s, or all)" % (norm, ", ".join(INPUT_NORMS)))
    if norm == "gray":
        return gray
    g = np.asarray(gray)
    flat = g.reshape(len(g), -1)
    if g.dtype == np.uint8:
        a = flat.astype(np.int64).sum(axis=1) // flat.shape[1]
        return np.clip(g.astype(np.int64) - a[:, None, None] + AMBIENT_OFFSET, 0, 255).astype(np.uint8)
    a = np.floor(flat.mean(axis=1))
    return np.clip(g - a[:, None, None] + AMBIENT_OFFSET, 0.0, 255.0).astype(np.float32)


def to_input(gray, norm=DEFAULT_NORM):
    """Network input: x = normalise(gray, norm) / 255 with a channel axis."""
    return (np.asarray(normalise(gray, norm), np.float32) / 255.0)[..., None]


# --------------------------------------------------------------------------- time budget

class Clock:
    """Epoch accounting for a predictable run: an epoch cap per fit from the time budget, and an
    ETA for the progress lines. The budget counts from ``start`` (loading the data included) to
    ``start + budget_s``; for every fit still to come it reserves the time a fit's conversion and
    scoring took so far (``overhead_s``), and ``tail_s`` once for the work after the last fit.
    The seconds per image-epoch are re-estimated after every epoch, and a running fit's cap with
    them, so a machine that slows down mid-run shortens the fits instead of overshooting.
    ``now``: the time source (a fake one in tests)."""

    def __init__(self, budget_s, fits, max_epochs, start=None, now=time.time, min_epochs=3):
        self.now = now
        self.start = now() if start is None else start
        self.budget = budget_s
        self.fits_left = fits
        self.max_epochs = max_epochs
        self.min_epochs = min_epochs
        self.image_epoch_s = None  # measured seconds per training image per epoch
        self.provisional = True  # the only measurement so far includes building the graph
        self.overhead_s = 0.0  # the longest conversion + scoring after a fit so far
        self.tail_s = 0.0  # reserved once, for what follows the last fit
        self.fit_start = self.start

    def left_s(self):
        """Seconds left for training epochs: the budget minus what was spent and reserved."""
        return self.budget - (self.now() - self.start) - self.overhead_s * self.fits_left - self.tail_s

    def cap(self, n_images, done=0, spent=0.0):
        """Epochs a fit may reach (``done`` epochs in ``spent`` seconds so far) so that it and the
        fits after it share what is left of the budget; never below ``min_epochs`` nor ``done``."""
        if self.image_epoch_s is None:
            return self.max_epochs
        share = (self.left_s() + spent) / max(1, self.fits_left) - spent
        more = share / (self.image_epoch_s * n_images)
        return int(max(self.min_epochs, done, min(self.max_epochs, done + more)))

    def begin_fit(self, n_images):
        """A fit starts now: its epoch cap (re-estimated by :meth:`epoch_end`)."""
        self.fit_start = self.now()
        return self.cap(n_images)

    def epoch_end(self, n_images, epoch, seconds):
        """Account for epoch ``epoch`` (1-based) of the running fit, which took ``seconds``;
        returns the fit's new cap (:meth:`cap`)."""
        if epoch == 2 and self.provisional:  # the first epoch also built the graph: forget it
            self.image_epoch_s, self.provisional = None, False
        if epoch > 1 or self.image_epoch_s is None:
            self.record(n_images, seconds)
        return self.cap(n_images, epoch, self.now() - self.fit_start)

    def after_fit(self, seconds):
        """Record the time a fit's conversion and scoring took (reserved for the fits to come)."""
        self.overhead_s = max(self.overhead_s, seconds)

    def record(self, n_images, seconds):
        rate = seconds / max(1, n_images)
        self.image_epoch_s = rate if self.image_epoch_s is None else 0.7 * self.image_epoch_s + 0.3 * rate

    def eta(self, epochs_left_this_fit, n_images):
        if self.image_epoch_s is None:
            return "?"
        future = (self.fits_left - 1) * self.cap(n_images)
        s = ((epochs_left_this_fit + future) * self.image_epoch_s * n_images + self.overhead_s * self.fits_left
             + self.tail_s)
        return "%dm%02ds" % divmod(int(s), 60)


# --------------------------------------------------------------------------- fitting

# Epochs without a better validation score before a fit stops (train.py --patience). Chosen by
# cross-validation of s2/room/ambient on data/synth, 3 seeds (README, "Train on your own captures"):
# 40 ended folds at best epochs as early as 4 and 15 under the room augmentation (score 0.724);
# 100 reached 0.849, a smoothed validation loss with 80 or 100 epochs 0.841 and 0.839.
PATIENCE = 100


class EarlyStop:
    """Which epoch's weights to keep and when to stop: the best validation accuracy so far, ties
    broken by the lower validation loss; stop after ``patience`` epochs without a better one,
    never before ``min_epochs`` (or the fit's cap, if lower)."""

    def __init__(self, patience=PATIENCE, min_epochs=20):
        self.patience, self.min_epochs = patience, min_epochs
        self.score, self.best_epoch, self.waited = None, 0, 0

    def update(self, epoch, val_loss, val_acc):
        """Account for ``epoch`` (1-based); True when it is the best so far (keep its weights)."""
        score = (round(val_acc, 4), -val_loss)
        if self.score is None or score > self.score:
            self.score, self.best_epoch, self.waited = score, epoch, 0
            return True
        self.waited += 1
        return False

    def done(self, epoch, cap):
        """True when the fit should stop after ``epoch`` for lack of progress."""
        return self.waited >= self.patience and epoch >= min(self.min_epochs, cap)


def fit(arch, data, fit_idx, val_idx, seed, epochs, patience, clock, tag, progress, lr=2e-3,
        min_epochs=20, batch=32, augment_name=DEFAULT_AUGMENT, norm=DEFAULT_NORM):
    """Fit one model with fresh augmentation (``augment_name``, :data:`AUGMENTATIONS`) every epoch
    on inputs normalised by ``norm``; early stopping on ``val_idx`` (:class:`EarlyStop`: the best
    epoch's weights are kept) when it is not empty, else exactly the epochs the clock allows.
    One Keras fit() call per model: per-call overhead would dominate such small epochs.
    Returns (model, best_epoch)."""
    import keras

    model = architectures.build(arch, len(data["labels"]))
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    n = len(fit_idx)
    stop = EarlyStop(patience, min_epochs)
    state = {"cap": min(epochs, clock.begin_fit(n)), "best": None, "t0": clock.now(), "epochs": 0}

    class Augmented(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng([seed, 17])
            self.on_epoch_end()

        def __len__(self):
            return (n + batch - 1) // batch

        def on_epoch_end(self):
            order = self.rng.permutation(fit_idx)
            self.x, self.y = to_input(augmented(data["x"][order], self.rng, augment_name), norm), data["y"][order]

        def __getitem__(self, i):
            return self.x[i * batch:(i + 1) * batch], self.y[i * batch:(i + 1) * batch]

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            e = epoch + 1
            state["epochs"] = e
            now = clock.now()
            state["cap"] = min(epochs, clock.epoch_end(n, e, now - state["t0"]))
            state["t0"] = now
            line = "%s epoch %3d/%d  loss %.4f  acc %.3f" % (tag, e, state["cap"], logs["loss"], logs["accuracy"])
            validated = "val_accuracy" in logs
            if validated:
                line += "  val_loss %.4f  val_acc %.3f" % (logs["val_loss"], logs["val_accuracy"])
                if stop.update(e, logs["val_loss"], logs["val_accuracy"]):
                    state["best"] = self.model.get_weights()
            if e % 10 == 0 or e == state["cap"] or e == 1:
                progress("%s  ETA %s" % (line, clock.eta(state["cap"] - e, n)))
            if e >= state["cap"]:
                self.model.stop_training = True
            elif validated and stop.done(e, state["cap"]):
                progress("%s early stop at epoch %d (best %d)" % (tag, e, stop.best_epoch))
                self.model.stop_training = True

    val = (to_input(data["x"][val_idx], norm), data["y"][val_idx]) if len(val_idx) else None
    model.fit(Augmented(), epochs=epochs, validation_data=val, verbose=0, callbacks=[Watch()])
    if state["epochs"] >= state["cap"] and state["cap"] < epochs:
        progress("%s stopped at %d epochs by the time budget" % (tag, state["cap"]))
    clock.fits_left -= 1
    if state["best"] is None:  # no validation: the last epoch is the one kept
        return model, state["epochs"]
    model.set_weights(state["best"])
    return model, stop.best_epoch
