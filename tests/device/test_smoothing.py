"""Smoother: the seed's 3-reading, 2-agree, 0.8-confidence rule."""

from heatface.smoothing import UNCERTAIN, Smoother
from mptest import raises


def test_needs_two_agreeing_confident_readings():
    s = Smoother()
    assert s.update("face0", 0.95) == UNCERTAIN
    assert s.update("face0", 0.90) == "face0"


def test_low_confidence_is_uncertain_and_does_not_vote():
    s = Smoother()
    assert s.update("face0", 0.95) == UNCERTAIN
    assert s.update("face0", 0.79) == UNCERTAIN
    assert s.update("face1", 0.99) == UNCERTAIN
    assert s.update("face0", 0.81) == UNCERTAIN  # window: face0 (new), -, face1: one vote
    assert s.update("face0", 0.81) == "face0"  # window: face0, face0, face1


def test_votes_age_out_of_the_window():
    s = Smoother()
    s.update("face0", 0.9)
    s.update("env", 0.9)
    s.update("face1", 0.9)
    assert s.update("face0", 0.9) == UNCERTAIN  # the first face0 left the window of 3
    assert s.update("face0", 0.9) == "face0"


def test_reset_forgets():
    s = Smoother()
    s.update("env", 0.9)
    s.reset()
    assert s.update("env", 0.9) == UNCERTAIN


def test_invalid_parameters():
    raises(ValueError, Smoother, 3, 4)
    raises(ValueError, Smoother, 3, 0)
