"""Smoothing of classifier results, as the seed's Edge Impulse sketch did it.

A label is reported only when at least ``agree`` of the last ``window`` readings named it with a
score of at least ``min_score``; otherwise the result is :data:`UNCERTAIN`.
The seed used window 3, agree 2, confidence 0.8.
"""

UNCERTAIN = "uncertain"


class Smoother:
    """Majority vote over the last few confident readings."""

    def __init__(self, window=3, agree=2, min_score=0.8):
        if not 1 <= agree <= window:
            raise ValueError("need 1 <= agree <= window")
        self.window = window
        self.agree = agree
        self.min_score = min_score
        self._labels = [None] * window
        self._next = 0

    def reset(self):
        for i in range(self.window):
            self._labels[i] = None
        self._next = 0

    def update(self, label, score):
        """Add one reading; return the smoothed label or UNCERTAIN."""
        self._labels[self._next] = label if score >= self.min_score else None
        self._next = (self._next + 1) % self.window
        if label is None or score < self.min_score:
            return UNCERTAIN
        votes = 0
        for held in self._labels:
            if held == label:
                votes += 1
        return label if votes >= self.agree else UNCERTAIN
