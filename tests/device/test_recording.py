# mprun: heapsize=640K
"""Raw recordings on the simulated board, under both runtimes: record to the card and over the
link, replay through the simulated sensor's registers, byte-identical temperatures."""

from heatface_sim.recording import read_recording
from simapp import rmtree, scratch, sim_app

CARD = scratch("test_recording_card")


def _run(frames, **extra):
    """Run the app; return it and the bytes of app.temps after each shown frame."""
    app, board = sim_app(start_mode="live", **extra)
    seen = []

    def keep(app):
        seen.append(bytes(app.temps))

    board.after_frame = keep
    app.run(max_frames=frames)
    return app, board, seen


def test_record_on_card_then_replay_is_byte_identical():
    rmtree(CARD)
    app, board, recorded = _run(12, sim_card_dir=CARD, record_sd=True, emissivity=0.97)
    assert app.recorder.card_name == "rec.0.hfr", app.recorder.card_name
    app.recorder.stop_card(app)
    assert app.status.startswith("Recorded rec.0.hfr"), app.status
    path = CARD + "/rec.0.hfr"
    rec = read_recording(path)
    assert rec.eeprom == list(board.sensor.eeprom)
    assert rec.settings["emissivity"] == 0.97 and rec.settings["refresh_rate"] == 16
    assert rec.settings["board"] == "sim" and rec.settings["t_lo"] == 22.0
    subpages = list(rec.subpages())
    rec.close()
    assert len(subpages) == 24, len(subpages)  # 12 frames of 2 subpages
    assert sorted(set(sp[2] & 1 for sp in subpages)) == [0, 1]
    # the replay: the same settings, the recording instead of a scene
    replay, _, replayed = _run(12, sim_recording=path, emissivity=0.97)
    assert replayed == recorded  # byte for byte, every frame
    assert replay.ambient == app.ambient


def test_bad_reads_are_recorded_and_replayed_too():
    rmtree(CARD)
    app, board = sim_app(start_mode="live", sim_card_dir=CARD, record_sd=True)
    board.sensor.bad_reads = 1  # one 0x7FFF read: the driver reads again
    recorded = []
    board.after_frame = lambda app: recorded.append(bytes(app.temps))
    app.run(max_frames=3)
    app.recorder.stop_card()
    rec = read_recording(CARD + "/rec.0.hfr")
    n = len(list(rec.subpages()))
    rec.close()
    assert n == 7, n  # 6 good subpages and the bad one
    _, _, replayed = _run(3, sim_recording=CARD + "/rec.0.hfr")
    assert replayed == recorded


def test_recording_numbers_and_card_errors():
    rmtree(CARD)
    app, _, _ = _run(2, sim_card_dir=CARD, record_sd=True)
    app.recorder.stop_card(app)
    app.recorder.start_card(app)
    assert app.recorder.card_name == "rec.1.hfr"
    app.recorder.stop_card(app)
    # no card: a clear status, the loop goes on
    app2, _, frames = _run(2, record_sd=True)
    assert app2.recorder.card_name is None
    assert len(frames) == 2


def test_replay_ends_cleanly():
    rmtree(CARD)
    app, _, _ = _run(2, sim_card_dir=CARD, record_sd=True)
    app.recorder.stop_card()
    app, board = sim_app(start_mode="live", sim_recording=CARD + "/rec.0.hfr", max_read_failures=1)
    for _ in range(4):
        app.step()
    assert board.sensor.played_out
    assert app.frames == 2
    assert app.sensor is None and "Sensor lost" in app.sensor_error, app.sensor_error
