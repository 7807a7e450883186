"""Fitting one heatface CNN (tools/train.py): thermal-safe augmentation, the network input, the
clock that keeps a run within its time budget, and the Keras fit with burst-true early stopping."""

import time

import numpy as np

import architectures

ROWS, COLS = 24, 32


# --------------------------------------------------------------------------- augmentation

def augment(x, rng, shift=(2.0, 3.0), rot_deg=8.0, zoom=0.15, offset=12.0, noise=3.0):
    """Thermal-safe augmentation of (N, 24, 32) uint8 images -> float32 in gray units.

    Affine shifts, small rotations and zoom (bilinear, edges replicated), a global offset
    (a warmer or cooler day, in gray levels, clamped like the sensor mapping) and pixel noise.
    No flips and no colour jitter: left/right asymmetries and the absolute temperature scale
    can be identity cues.
    """
    n = len(x)
    ang = np.radians(rng.uniform(-rot_deg, rot_deg, n))
    sc = 1.0 + rng.uniform(-zoom, zoom, n)
    ty = rng.uniform(-shift[0], shift[0], n)
    tx_ = rng.uniform(-shift[1], shift[1], n)
    yy, xx = np.mgrid[0:ROWS, 0:COLS].astype(np.float32)
    yc, xc = yy - (ROWS - 1) / 2.0, xx - (COLS - 1) / 2.0
    cos, sin = (np.cos(ang) / sc)[:, None, None], (np.sin(ang) / sc)[:, None, None]
    sy = np.clip(cos * yc - sin * xc + (ROWS - 1) / 2.0 - ty[:, None, None], 0, ROWS - 1)
    sx = np.clip(sin * yc + cos * xc + (COLS - 1) / 2.0 - tx_[:, None, None], 0, COLS - 1)
    y0 = np.minimum(np.floor(sy).astype(np.int64), ROWS - 2)
    x0 = np.minimum(np.floor(sx).astype(np.int64), COLS - 2)
    fy, fx = sy - y0, sx - x0
    flat = x.reshape(n, -1).astype(np.float32)
    base = y0 * COLS + x0

    def at(idx):
        return np.take_along_axis(flat, idx.reshape(n, -1), axis=1).reshape(n, ROWS, COLS)

    out = ((1 - fy) * ((1 - fx) * at(base) + fx * at(base + 1))
           + fy * ((1 - fx) * at(base + COLS) + fx * at(base + COLS + 1)))
    out += rng.uniform(-offset, offset, (n, 1, 1))
    out += rng.normal(0.0, noise, out.shape)
    return np.clip(out, 0.0, 255.0).astype(np.float32)


def to_input(gray):
    """Network input: x = gray8 / 255 with a channel axis."""
    return (np.asarray(gray, np.float32) / 255.0)[..., None]


# --------------------------------------------------------------------------- time budget

class Clock:
    """Epoch accounting for a predictable run: an epoch cap per fit from the time budget, and an
    ETA for the progress lines. The budget counts from ``start`` (loading the data included) and
    reserves, for every fit still to come, the time a fit's conversion and scoring took so far."""

    def __init__(self, budget_s, fits, max_epochs, start=None):
        self.start = time.time() if start is None else start
        self.budget = budget_s
        self.fits_left = fits
        self.max_epochs = max_epochs
        self.image_epoch_s = None  # measured seconds per training image per epoch
        self.provisional = True  # the only measurement so far includes building the graph
        self.overhead_s = 0.0  # the longest conversion + scoring after a fit so far

    def cap(self, n_images):
        """Epochs this fit may run so that the remaining fits still fit the budget."""
        if self.image_epoch_s is None:
            return self.max_epochs
        left = self.budget - (time.time() - self.start) - self.overhead_s * self.fits_left
        per_fit = left / max(1, self.fits_left) / (self.image_epoch_s * n_images)
        return int(max(3, min(self.max_epochs, per_fit)))

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
        s = (epochs_left_this_fit + future) * self.image_epoch_s * n_images + self.overhead_s * self.fits_left
        return "%dm%02ds" % divmod(int(s), 60)


# --------------------------------------------------------------------------- fitting

def fit(arch, data, fit_idx, val_idx, seed, epochs, patience, clock, tag, progress, lr=2e-3,
        min_epochs=20, batch=32):
    """Fit one model with fresh augmentation every epoch; early stopping on ``val_idx`` (best
    weights kept, ties: lower loss) when it is not empty, else exactly the epochs the clock allows.
    One Keras fit() call per model: per-call overhead would dominate such small epochs.
    Returns (model, best_epoch)."""
    import keras

    model = architectures.build(arch, len(data["labels"]))
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    n = len(fit_idx)
    state = {"cap": min(epochs, clock.cap(n)), "best": None, "score": None, "best_epoch": 0, "waited": 0,
             "t0": time.time(), "epochs": 0}

    class Augmented(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng([seed, 17])
            self.on_epoch_end()

        def __len__(self):
            return (n + batch - 1) // batch

        def on_epoch_end(self):
            order = self.rng.permutation(fit_idx)
            self.x, self.y = to_input(augment(data["x"][order], self.rng)), data["y"][order]

        def __getitem__(self, i):
            return self.x[i * batch:(i + 1) * batch], self.y[i * batch:(i + 1) * batch]

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            e = epoch + 1
            state["epochs"] = e
            now = time.time()
            if e == 2 and clock.provisional:  # the first epoch also built the graph: forget it
                clock.image_epoch_s, clock.provisional = None, False
            if e > 1 or clock.image_epoch_s is None:
                clock.record(n, now - state["t0"])
            state["t0"] = now
            if e <= 2:
                state["cap"] = min(epochs, clock.cap(n))
            line = "%s epoch %3d/%d  loss %.4f  acc %.3f" % (tag, e, state["cap"], logs["loss"], logs["accuracy"])
            if "val_accuracy" in logs:
                line += "  val_loss %.4f  val_acc %.3f" % (logs["val_loss"], logs["val_accuracy"])
                score = (round(logs["val_accuracy"], 4), -logs["val_loss"])
                if state["score"] is None or score > state["score"]:
                    state.update(best=self.model.get_weights(), score=score, best_epoch=e, waited=0)
                else:
                    state["waited"] += 1
            else:
                state["best_epoch"] = e
            if e % 10 == 0 or e == state["cap"] or e == 1:
                progress("%s  ETA %s" % (line, clock.eta(state["cap"] - e, n)))
            if e >= state["cap"]:
                self.model.stop_training = True
            elif "val_accuracy" in logs and state["waited"] >= patience and e >= min(min_epochs, state["cap"]):
                progress("%s early stop at epoch %d (best %d)" % (tag, e, state["best_epoch"]))
                self.model.stop_training = True

    val = (to_input(data["x"][val_idx]), data["y"][val_idx]) if len(val_idx) else None
    model.fit(Augmented(), epochs=epochs, validation_data=val, verbose=0, callbacks=[Watch()])
    if state["epochs"] >= state["cap"] and state["cap"] < epochs:
        progress("%s stopped at %d epochs by the time budget" % (tag, state["cap"]))
    clock.fits_left -= 1
    if state["best"] is not None:
        model.set_weights(state["best"])
    return model, state["best_epoch"]
