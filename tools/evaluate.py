"""Honest evaluation for heatface's training: grouped folds, baselines, metrics and warnings.

Captures come in bursts of near-identical frames, so every split here keeps a group (a burst,
after merging duplicate images into one group) on one side. The baselines are the yardstick a
CNN must beat to be worth its cost: the majority class, a one-number rule (how many pixels are
above a temperature) and logistic regression on the pixels. Plain numpy, no TensorFlow.
"""

import numpy as np

BEAT_MARGIN = 0.01  # the CNN "beats" a baseline when its mean accuracy is at least this much higher


# --------------------------------------------------------------------------- groups and folds

def merge_duplicates(x, y, groups, files, near=1.0):
    """Find exact and near duplicate images (mean absolute difference <= ``near`` gray levels;
    featureless frames excepted) in different groups and merge each such pair's groups, so a copy never lands on the other
    side of a split.

    Returns ``(groups, findings)``: the merged group keys and a list of
    ``(kind, file_a, file_b, same_label)`` with kind "exact" or "near".
    """
    n = len(x)
    flat = x.reshape(n, -1).astype(np.int16)
    coarse = x.reshape(n, 6, 4, 8, 4).mean(axis=(2, 4)).reshape(n, -1).astype(np.float32)
    parent = {g: g for g in set(groups)}

    def root(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    # featureless frames (one gray level, e.g. an empty room colder than t_lo) are alike by nature
    flat_frame = flat.max(axis=1) == flat.min(axis=1)
    findings = []
    for i in range(n - 1):
        if flat_frame[i]:
            continue
        # block means of near duplicates differ by at most ``near`` on average: a cheap filter
        cand = np.flatnonzero(np.abs(coarse[i + 1:] - coarse[i]).mean(axis=1) <= near) + i + 1
        for j in cand:
            if groups[i] == groups[j] or flat_frame[j]:
                continue
            mad = float(np.abs(flat[i] - flat[j]).mean())
            if mad > near:
                continue
            findings.append(("exact" if mad == 0 else "near", files[i], files[j], y[i] == y[j]))
            if y[i] == y[j]:
                a, b = root(groups[i]), root(groups[j])
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return np.array([root(g) for g in groups]), findings


def grouped_folds(y, groups, k, seed):
    """``k`` stratified grouped folds: a list of (train_idx, test_idx); every group in one fold.

    Per class, groups are shuffled (seeded) and dealt, largest first, to the fold that holds the
    fewest images of that class, so each fold gets about 1/k of every class.
    """
    rng = np.random.default_rng(seed)
    fold_of = {}
    for c in np.unique(y):
        gs = sorted(set(groups[y == c]))
        rng.shuffle(gs)
        sizes = {g: int(np.sum(groups == g)) for g in gs}
        load = [0] * k
        for g in sorted(gs, key=lambda g: -sizes[g]):
            f = int(np.argmin(load))
            fold_of[g] = f
            load[f] += sizes[g]
    which = np.array([fold_of[g] for g in groups])
    return [(np.flatnonzero(which != f), np.flatnonzero(which == f)) for f in range(k)]


def inner_split(y, groups, idx, seed, fraction=0.2):
    """Split indices ``idx`` into (fit, val) by whole groups, about ``fraction`` of each class's
    groups (at least one) for validation (early stopping). A group may span classes (a session):
    every image of a group taken goes to validation, and counts for each class it holds."""
    rng = np.random.default_rng([seed, 31])
    take = set()
    for c in np.unique(y[idx]):
        gs = sorted(set(groups[idx][y[idx] == c]))
        rng.shuffle(gs)
        want = max(1, int(round(fraction * len(gs)))) if len(gs) > 1 else 0
        have = sum(g in take for g in gs)  # a session taken for another class holds this one's too
        for g in gs:
            if have >= want:
                break
            if g not in take:
                take.add(g)
                have += 1
    val = np.array([i for i in idx if groups[i] in take], dtype=int)
    return np.setdiff1d(idx, val), val


def groups_per_class(y, groups):
    """{class index: number of distinct groups}."""
    return {int(c): len(set(groups[y == c])) for c in np.unique(y)}


# --------------------------------------------------------------------------- baselines

class Majority:
    """Always the most frequent training class."""

    name = "majority class"

    def fit(self, x, y):
        self.c = int(np.bincount(y).argmax())
        return self

    def predict(self, x):
        return np.full(len(x), self.c)


class HotPixelCount:
    """A one-number rule: the count of pixels at or above a gray level (a temperature), then the
    class whose median count is nearest. The level is chosen on the training data."""

    name = "hot-pixel count"

    def __init__(self, levels=range(40, 256, 8)):
        self.levels = list(levels)

    @staticmethod
    def _counts(x, level):
        return (x.reshape(len(x), -1) >= level).sum(axis=1)

    def _fit_level(self, x, y, level):
        counts = self._counts(x, level)
        medians = np.array([np.median(counts[y == c]) if np.any(y == c) else -1e9
                            for c in range(int(y.max()) + 1)])
        return medians, float(np.mean(self._nearest(counts, medians) == y))

    @staticmethod
    def _nearest(counts, medians):
        return np.abs(counts[:, None] - medians[None, :]).argmin(axis=1)

    def fit(self, x, y):
        best = None
        for level in self.levels:
            medians, acc = self._fit_level(x, y, level)
            if best is None or acc > best[0]:
                best = (acc, level, medians)
        _, self.level, self.medians = best
        return self

    def predict(self, x):
        return self._nearest(self._counts(x, self.level), self.medians)


class LogisticPixels:
    """Multinomial logistic regression on the standardised pixels (L2, full-batch Adam)."""

    name = "logistic regression"

    def __init__(self, l2=1e-2, steps=300, lr=0.05, seed=0):
        self.l2, self.steps, self.lr, self.seed = l2, steps, lr, seed

    def _features(self, x):
        return (x.reshape(len(x), -1).astype(np.float32) / 255.0 - self.mean) / self.std

    def fit(self, x, y):
        flat = x.reshape(len(x), -1).astype(np.float32) / 255.0
        self.mean, self.std = flat.mean(0), flat.std(0) + 0.05
        f = self._features(x)
        n_cls = int(y.max()) + 1
        onehot = np.eye(n_cls, dtype=np.float32)[y]
        w = np.zeros((f.shape[1] + 1, n_cls), np.float32)
        fb = np.hstack([f, np.ones((len(f), 1), np.float32)])
        m, v = np.zeros_like(w), np.zeros_like(w)
        for t in range(1, self.steps + 1):
            z = fb @ w
            z -= z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            g = fb.T @ (p - onehot) / len(fb) + self.l2 * np.vstack([w[:-1], np.zeros((1, n_cls))])
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w -= self.lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        self.w = w
        return self

    def predict(self, x):
        f = self._features(x)
        return (np.hstack([f, np.ones((len(f), 1), np.float32)]) @ self.w).argmax(1)


BASELINES = (Majority, HotPixelCount, LogisticPixels)


# --------------------------------------------------------------------------- metrics

def confusion(y_true, y_pred, n):
    """n x n counts, rows = true class, columns = predicted."""
    m = np.zeros((n, n), dtype=int)
    for t, p in zip(y_true, y_pred):
        m[int(t), int(p)] += 1
    return m


def precision_recall(m):
    """Per-class precision and recall from a confusion matrix (0 where undefined)."""
    tp = np.diag(m).astype(float)
    prec = np.divide(tp, m.sum(0), out=np.zeros_like(tp), where=m.sum(0) > 0)
    rec = np.divide(tp, m.sum(1), out=np.zeros_like(tp), where=m.sum(1) > 0)
    return prec, rec


def summary(fold_accuracies):
    """{"mean", "std", "min", "max", "folds"} of per-fold accuracies."""
    a = np.asarray(fold_accuracies, float)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "folds": [float(v) for v in a]}


def cv_baselines(x, y, folds, holdouts=()):
    """Each baseline on the same folds: {name: {"cv": summary, "holdout": {set: summary}}}."""
    out = {}
    for cls in BASELINES:
        accs, hold = [], {name: [] for name, _, _ in holdouts}
        for tr, te in folds:
            model = cls().fit(x[tr], y[tr])
            accs.append(np.mean(model.predict(x[te]) == y[te]))
            for name, hx, hy in holdouts:
                hold[name].append(np.mean(model.predict(hx) == hy))
        out[cls.name] = {"cv": summary(accs), "holdout": {k: summary(v) for k, v in hold.items()}}
    return out


# --------------------------------------------------------------------------- warnings

def data_warnings(y, labels, groups, findings, burst_true, min_groups=5, imbalance=3.0):
    """Warnings about the data itself: imbalance, too few bursts per class, duplicates, guessed
    bursts."""
    out = []
    counts = np.bincount(y, minlength=len(labels))
    if counts.min() > 0 and counts.max() / counts.min() >= imbalance:
        out.append("class imbalance: %s; accuracy flatters the big classes, read per-class recall"
                   % ", ".join("%s %d" % (labels[c], counts[c]) for c in np.argsort(-counts)))
    few = {labels[c]: n for c, n in groups_per_class(y, groups).items() if n < min_groups}
    if few:
        out.append("too few bursts per class for a reliable figure (%s; want >= %d each): every "
                   "burst is one independent example, its frames are near copies"
                   % (", ".join("%s %d" % kv for kv in sorted(few.items())), min_groups))
    exact = [f for f in findings if f[0] == "exact"]
    near = [f for f in findings if f[0] == "near"]
    if exact or near:
        ex = findings[0]
        out.append("duplicates across bursts: %d exact, %d near (e.g. %s = %s); kept together on one "
                   "side of every split" % (len(exact), len(near), ex[1], ex[2]))
    clash = [f for f in findings if not f[3]]
    if clash:
        out.append("%d duplicate image pairs carry different labels (e.g. %s vs %s): mislabelled captures?"
                   % (len(clash), clash[0][1], clash[0][2]))
    if not burst_true:
        out.append("bursts unknown (no captures.csv for some files): consecutive numbers are grouped "
                   "in blocks, a guess, so the split is NOT known to be burst-true; copy the card's "
                   "captures.csv next to the images (make pull brings it)")
    return out


def model_warnings(y_true, y_pred, labels, collapse=0.9):
    """Warnings about a model's predictions: one class for (nearly) everything, classes never
    recognised (recall 0)."""
    out = []
    n = len(labels)
    pred_counts = np.bincount(y_pred, minlength=n)
    true_counts = np.bincount(y_true, minlength=n)
    top = int(pred_counts.argmax())
    if pred_counts[top] >= collapse * len(y_pred) and true_counts[top] < collapse * len(y_true):
        out.append("COLLAPSED MODEL: it answers '%s' for %d of %d images (the truth has %d); it has "
                   "learnt nothing useful" % (labels[top], pred_counts[top], len(y_pred), true_counts[top]))
    _, rec = precision_recall(confusion(y_true, y_pred, n))
    zero = [labels[c] for c in range(n) if true_counts[c] and rec[c] == 0]
    if zero:
        out.append("recall 0 for %s: the model never recognises %s" % (", ".join(zero),
                                                                         "it" if len(zero) == 1 else "them"))
    return out


def _unbeaten(cnn_mean, baseline_means):
    """Names of the baselines whose mean accuracy ``cnn_mean`` does not beat by
    :data:`BEAT_MARGIN`, best first."""
    ranked = sorted(baseline_means, key=lambda k: -baseline_means[k])
    return [k for k in ranked if cnn_mean < baseline_means[k] + BEAT_MARGIN]


def baseline_verdict(cnn, baselines):
    """One sentence on whether the CNN's cross-validated mean beats the baselines' (by
    :data:`BEAT_MARGIN`); when it does not, it says so plainly and names every baseline it does not
    beat, best first."""
    means = {k: b["cv"]["mean"] for k, b in baselines.items()}
    unbeaten = _unbeaten(cnn["mean"], means)
    if unbeaten:
        return ("**The CNN does not beat the %s baseline%s** (CNN %.3f vs %s, cross-validated): "
                "prefer the simpler rule, or collect more varied bursts"
                % (" and the ".join(unbeaten), "s" if len(unbeaten) > 1 else "", cnn["mean"],
                   ", ".join("%s %.3f" % (k, means[k]) for k in unbeaten)))
    best = max(means, key=means.get)
    return "The CNN beats every baseline (%.3f vs best baseline %s %.3f)." % (cnn["mean"], best, means[best])


def holdout_verdict(cnn_holdout, baselines):
    """One sentence on the held-out (new-room) sets: the sets where the CNN's mean over the folds
    does not beat a baseline's (by :data:`BEAT_MARGIN`), each with the best such baseline; None
    without held-out sets."""
    if not cnn_holdout:
        return None
    lost = []
    for name, s in cnn_holdout.items():
        means = {k: b["holdout"][name]["mean"] for k, b in baselines.items()}
        unbeaten = _unbeaten(s["mean"], means)
        if unbeaten:
            lost.append("%s (CNN %.3f vs %s %.3f)" % (name, s["mean"], unbeaten[0], means[unbeaten[0]]))
    if lost:
        return ("**In new rooms the CNN does not beat the baselines in %d of %d sets** (by %.2f or "
                "more): %s; it does not generalize better than the simpler rule there"
                % (len(lost), len(cnn_holdout), BEAT_MARGIN, "; ".join(lost)))
    return "In new rooms the CNN beats every baseline in each of the %d sets." % len(cnn_holdout)
