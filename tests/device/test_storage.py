# mprun: heapsize=320K
"""Capture storage against the simulated SD card, with every fault injected.

Under MicroPython the card is a real FAT volume on a RAM block device; under CPython a host
folder with the same errors injected. After each fault the files already on the card are read
back (on MicroPython through a fresh mount, as a PC would) and compared byte for byte.
"""

from heatface.config import load_config
from heatface.storage import OsFs, Storage, parse_name
from heatface_sim.sdcard import SimCard

LABELS = ("face0", "face1", "env")


def _jpeg(seed, size=300):
    """Distinct JPEG-looking bytes (storage does not look inside)."""
    out = bytearray(size)
    out[0], out[1] = 0xFF, 0xD8
    for i in range(2, size - 2):
        out[i] = (i * 7 + seed * 31) & 0xFF
    out[size - 2], out[size - 1] = 0xFF, 0xD9
    return bytes(out)


class SpyFs:
    """Counts the file-system calls storage makes, passing them on."""

    def __init__(self, inner):
        self.inner = inner
        self.listdirs = 0
        self.removed = []

    def names(self, path):
        self.listdirs += 1
        return self.inner.names(path)

    def open(self, path, mode):
        return self.inner.open(path, mode)

    def create(self, path):
        return self.inner.create(path)

    def size(self, path):
        return self.inner.size(path)

    def remove(self, path):
        self.removed.append(path)
        self.inner.remove(path)

    def mkdir(self, path):
        self.inner.mkdir(path)


def _storage(card, fs=None, manifest="captures.csv"):
    return Storage(card.root, LABELS, mount=card.mount, fs=fs or card.fs, manifest=manifest)


def _images(files):
    out = {}
    for name in files:
        if parse_name(name) is not None:
            out[name] = files[name]
    return out


def _assert_intact(card, expected):
    """Every file in ``expected`` is on the card with the same bytes; no temporary, no extra jpg."""
    files = card.files()
    for name in expected:
        assert name in files, name
        assert files[name] == expected[name], name
    assert _images(files) == expected, sorted(_images(files))


def _with_card(body, **kw):
    card = SimCard(**kw)
    try:
        body(card)
    finally:
        card.close()


def _saved_two(card):
    """Start storage and save face0.0 and face1.0; return (storage, expected files)."""
    st = _storage(card)
    assert st.start(), st.status
    a, b = _jpeg(1), _jpeg(2)
    assert st.save("face0", a) == "face0.0.jpg"
    assert st.save("face1", b) == "face1.0.jpg"
    return st, {"face0.0.jpg": a, "face1.0.jpg": b}


def test_names_counts_and_manifest():
    def body(card):
        st = _storage(card)
        assert st.start(), st.status
        assert st.ready
        data = {}
        for i, label in enumerate(("face0", "face0", "env", "face0", "face1")):
            jpg = _jpeg(i)
            name = st.save(label, jpg, ta=24.5, ms=1000 + i)
            assert name == st.last_name == "%s.%d.jpg" % (label, st.last_n)
            data[name] = jpg
        assert sorted(data) == ["env.0.jpg", "face0.0.jpg", "face0.1.jpg", "face0.2.jpg", "face1.0.jpg"]
        assert st.counts == {"face0": 3, "face1": 1, "env": 1}
        assert st.last_name == "face1.0.jpg"
        _assert_intact(card, data)
        lines = card.files()["captures.csv"].decode().split("\n")
        assert lines[0] == "name,label,n,burst,ta,ms"
        assert lines[1] == "face0.0.jpg,face0,0,0,24.50,1000"
        assert lines[3] == "env.0.jpg,env,0,0,24.50,1002"
        assert lines[-1] == "" and len(lines) == 7

    _with_card(body)


def test_writer_callback_and_burst_ids():
    def body(card):
        st = _storage(card)
        st.start()
        assert st.save("env", lambda f: f.write(_jpeg(9))) == "env.0.jpg"
        for _ in range(3):  # the frames of a long press join the press's group
            assert st.save("env", lambda f: f.write(_jpeg(9)), burst=True, ms=5)
        assert st.save("face0", _jpeg(1), burst=True) == "face0.0.jpg"  # nothing to join: own group
        assert st.save("env", _jpeg(3), ms=6) == "env.4.jpg"  # a new press
        assert st.save("env", _jpeg(3), burst=True) == "env.5.jpg"
        assert st.save("env", _jpeg(3), burst=2) == "env.6.jpg"  # an explicit group
        rows = [r.split(",") for r in card.files()["captures.csv"].decode().split("\n")[1:] if r]
        assert [(r[0], r[3]) for r in rows] == [
            ("env.0.jpg", "0"), ("env.1.jpg", "0"), ("env.2.jpg", "0"), ("env.3.jpg", "0"),
            ("face0.0.jpg", "0"), ("env.4.jpg", "4"), ("env.5.jpg", "4"), ("env.6.jpg", "2")]
        assert card.files()["env.2.jpg"] == _jpeg(9)

    _with_card(body)


def test_streamed_jpeg_matches_encoder():
    try:
        from heatface.jpeg import encode_gray, write_gray
    except ImportError:
        from mptest import skip

        skip("heatface.jpeg not available")
    gray = bytearray(768)
    for i in range(768):
        gray[i] = (i * 5) & 0xFF

    def body(card):
        st = _storage(card)
        st.start()
        name = st.save("face1", lambda f: write_gray(f, gray, 32, 24))
        assert card.files()[name] == encode_gray(gray, 32, 24)

    _with_card(body)


class FakeBoard:
    def __init__(self, card):
        self.card = card

    def mount_storage(self):
        ok, message = self.card.mount()
        if not ok:
            raise OSError(message)  # the contract of heatface.boards: OSError when no card
        return self.card.root


def test_open_from_board_and_config():
    def body(card):
        board = FakeBoard(card)
        config = {"labels": {"A": "cat", "B": "dog", "C": "cat"}, "captures_dir": card.root}
        card.remove()
        st = Storage.open(board, config)
        assert not st.ready and st.status.startswith("no SD card"), st.status
        assert st.labels == ("cat", "dog")
        card.insert()
        assert st.save("dog", _jpeg(1)) == "dog.0.jpg"  # auto retry after the card came back
        assert st.ready

    _with_card(body)


def test_next_number_found_once_and_old_temporaries_kept():
    def body(card):
        old = {"face0.3.jpg": _jpeg(3), "face0.7.jpg": _jpeg(7), "env.0.jpg": _jpeg(0)}
        for name in old:
            card.put(name, old[name])
        card.put(".tmp-face0.8.jpg", b"\xff\xd8partial")
        card.put(".tmp-face1.0.jpg", b"")
        card.put("notes.txt", b"keep me")
        card.put("face0.x.jpg", b"not a capture")
        spy = SpyFs(card.fs or OsFs())
        st = _storage(card, fs=spy)
        assert st.start(), st.status
        assert spy.listdirs == 1
        assert st.next_n == {"face0": 8, "face1": 0, "env": 1}
        assert st.counts == {"face0": 2, "face1": 0, "env": 1}
        files = card.files()
        # an older heatface's temporaries may share clusters with a capture: never deleted
        assert ".tmp-face0.8.jpg" in files and ".tmp-face1.0.jpg" in files
        assert spy.removed == []
        assert files["notes.txt"] == b"keep me" and files["face0.x.jpg"] == b"not a capture"
        for i in range(4):
            assert st.save("face0", _jpeg(10 + i)) == "face0.%d.jpg" % (8 + i)
        assert st.save("face1", _jpeg(20)) == "face1.0.jpg"
        assert spy.listdirs == 1
        old["face0.8.jpg"] = _jpeg(10)
        old["face0.11.jpg"] = _jpeg(13)
        files = _images(card.files())
        for name in old:
            assert files[name] == old[name], name
        assert len(files) == 3 + 5

    _with_card(body)


def test_partial_manifest_line_is_not_glued():
    def body(card):
        card.put("captures.csv", b"name,label,n,burst,ta,ms\nface0.0.jpg,face0,0,0,,1\nface0.1.jp")
        card.put("face0.0.jpg", _jpeg(0))
        card.put("face0.1.jpg", _jpeg(1))
        st = _storage(card)
        st.start()
        assert st.save("face0", _jpeg(2), ms=7) == "face0.2.jpg"
        lines = card.files()["captures.csv"].decode().split("\n")
        assert lines[2] == "face0.1.jp"
        assert lines[3] == "face0.1.jpg,face0,1,1,,"  # complete but unlisted: start-up lists it
        assert lines[4] == "face0.2.jpg,face0,2,2,,7"

    _with_card(body)


def test_no_card():
    def body(card):
        st = _storage(card)
        assert not st.start()
        assert not st.ready
        assert "no SD card" in st.status, st.status
        assert st.save("face0", _jpeg(1)) is None
        card.insert()
        assert st.retry(), st.status
        assert st.save("face0", _jpeg(1)) == "face0.0.jpg"
        _assert_intact(card, {"face0.0.jpg": _jpeg(1)})

    _with_card(body, present=False)


def test_missing_top_level_folder_is_not_created():
    st = Storage("/heatface-no-such-card", LABELS)
    assert not st.start()
    assert st.status.startswith("no SD card"), st.status
    assert st.save("env", b"x") is None


def test_card_full():
    def body(card):
        st, expected = _saved_two(card)
        card.fill(leave_bytes=200)
        assert st.save("face0", _jpeg(3, size=1500)) is None
        assert not st.ready
        assert "full" in st.status, st.status
        assert st.next_n["face0"] == 1 and st.counts["face0"] == 1
        _assert_intact(card, expected)
        card.unfill()
        assert st.retry(), st.status
        assert st.save("face0", _jpeg(3, size=1500)) == "face0.1.jpg"
        expected["face0.1.jpg"] = _jpeg(3, size=1500)
        _assert_intact(card, expected)

    _with_card(body)


def test_write_error_mid_file():
    def body(card):
        st, expected = _saved_two(card)
        card.fail_after(100)
        assert st.save("env", _jpeg(4, size=2000)) is None
        assert not st.ready
        assert "EIO" in st.status or "errno 5" in st.status, st.status
        assert st.next_n["env"] == 0
        _assert_intact(card, expected)
        card.fail_after(None)
        assert st.retry(), st.status
        assert st.save("env", _jpeg(4, size=2000)) == "env.0.jpg"
        expected["env.0.jpg"] = _jpeg(4, size=2000)
        _assert_intact(card, expected)

    _with_card(body)


def test_read_only_card():
    def body(card):
        card.put("face0.0.jpg", _jpeg(1))
        card.set_readonly(True)
        st = _storage(card)
        assert st.start(), st.status  # listing works; the first write finds out
        assert st.next_n["face0"] == 1
        assert st.save("face0", _jpeg(2)) is None
        assert "read-only" in st.status, st.status
        assert not st.ready
        assert st.save("face0", _jpeg(2)) is None
        _assert_intact(card, {"face0.0.jpg": _jpeg(1)})

    _with_card(body)


def test_card_removed_between_captures():
    def body(card):
        st, expected = _saved_two(card)
        card.remove()
        assert st.save("face0", _jpeg(5)) is None
        assert not st.ready
        assert "re-insert" in st.status, st.status
        assert not st.retry()  # still out
        assert st.save("face0", _jpeg(5)) is None
        card.insert()
        _assert_intact(card, expected)
        assert st.retry(), st.status
        assert st.save("face0", _jpeg(5)) == "face0.1.jpg"
        expected["face0.1.jpg"] = _jpeg(5)
        _assert_intact(card, expected)
        rows = card.files()["captures.csv"].decode().split("\n")
        assert rows[-2].startswith("face0.1.jpg,face0,1,1,")

    _with_card(body)


def test_removed_during_write():
    def body(card):
        st, expected = _saved_two(card)

        def writer(f):
            f.write(_jpeg(6, size=600)[:300])
            card.remove()
            f.write(_jpeg(6, size=600)[300:])

        assert st.save("face1", writer) is None
        assert not st.ready
        card.insert()
        assert st.retry()
        _assert_intact(card, expected)  # the cut-off file is deleted at start-up, if it was there
        assert st.next_n["face1"] == 1

    _with_card(body)


def test_writer_exception_leaves_no_file():
    def body(card):
        st, expected = _saved_two(card)

        def broken(f):
            f.write(b"\xff\xd8")
            raise ValueError("encoder bug")

        assert st.save("env", broken) is None
        assert st.ready  # not a card fault
        assert "encoder bug" in st.status
        _assert_intact(card, expected)
        assert "env.0.jpg" not in card.files()

    _with_card(body)


def test_sub_folder_created_and_no_manifest():
    def body(card):
        st = Storage(card.root + "/captures", LABELS, mount=card.mount, fs=card.fs, manifest=None)
        assert st.start(), st.status
        assert st.save("face1", _jpeg(1)) == "face1.0.jpg"
        st2 = Storage(card.root + "/captures", LABELS, fs=card.fs, manifest=None)
        assert st2.start() and st2.next_n["face1"] == 1
        assert "captures.csv" not in card.files()

    _with_card(body)


def test_config_defaults_and_bad_files():
    from mptest import exists, scratch_path

    path = scratch_path("heatface-test-config.json")
    warnings = []
    cfg = load_config("no-such-heatface.json", warnings=warnings)
    assert warnings == []
    assert cfg["labels"] == {"A": "face0", "B": "face1", "C": "env"}
    assert cfg["burst"] == 10 and cfg["captures_dir"] == "/sd"
    cases = (
        ('{"labels": {"A": "cat", "B": "dog"}, "burst": 5, "extra": 1}', 0),
        ('{"labels": {"A": "c.at", "B": "dog"}, "burst": 0}', 2),
        ('{"labels": ', 1),
        ('[1, 2]', 1),
        ('{"captures_dir": "sd", "long_ms": "x"}', 2),
    )
    try:
        for text, n_warn in cases:
            with open(path, "w") as f:
                f.write(text)
            warnings = []
            cfg = load_config(path, warnings=warnings)
            assert len(warnings) == n_warn, (text, warnings)
            assert cfg["debounce_ms"] == 30
            if n_warn == 0:
                assert cfg["labels"] == {"A": "cat", "B": "dog"} and cfg["burst"] == 5
                assert cfg["extra"] == 1
            elif "c.at" in text:
                assert cfg["labels"] == {"B": "dog"} and cfg["burst"] == 10
            else:
                assert cfg["labels"]["C"] == "env" and cfg["captures_dir"] == "/sd"
                assert cfg["long_ms"] == 800
    finally:
        if exists(path):
            import os

            os.remove(path)


def test_names_compare_case_insensitively_and_never_overwrite():
    def body(card):
        card.put("FACE0.5.JPG", _jpeg(5))  # a PC wrote it in capitals: FAT sees face0.5.jpg
        st = Storage(card.root, ("face0", "Face0", "env"), mount=card.mount, fs=card.fs)
        assert st.labels == ("face0", "env")  # one label, whatever the spelling
        assert st.start(), st.status
        assert st.next_n["face0"] == 6 and st.counts["face0"] == 1
        card.put("face0.6.jpg", _jpeg(60))  # appears after the scan (another writer)
        assert st.save("face0", _jpeg(7)) == "face0.7.jpg"
        files = card.files()
        assert files["face0.6.jpg"] == _jpeg(60)
        assert files["FACE0.5.JPG"] == _jpeg(5)
        assert files["face0.7.jpg"] == _jpeg(7)

    _with_card(body)


def test_capture_comes_back_by_itself_when_the_card_does():
    def body(card):
        st, expected = _saved_two(card)
        st.retry_ms = 100
        card.remove()
        assert st.save("face0", _jpeg(5)) is None and not st.ready
        assert not st.poll(10 ** 6)  # still out
        card.insert()
        assert not st.poll(10 ** 6 + 50)  # not due yet
        assert st.poll(10 ** 6 + 150), st.status
        assert st.ready and st.status == "SD ready"
        _assert_intact(card, expected)

    _with_card(body)


def test_interrupted_capture_deleted_or_listed_at_start():
    def body(card):
        card.put("captures.csv", b"name,label,n,burst,ta,ms\nface0.0.jpg,face0,0,0,,1\n")
        card.put("face0.0.jpg", _jpeg(0))
        card.put("face0.1.jpg", _jpeg(1)[:150])  # cut mid-write
        card.put("env.0.jpg", _jpeg(2))  # complete, cut before its manifest line
        st = _storage(card)
        assert st.start(), st.status
        files = card.files()
        assert "face0.1.jpg" not in files and files["face0.0.jpg"] == _jpeg(0)
        assert files["captures.csv"].decode().split("\n")[2] == "env.0.jpg,env,0,0,,"
        assert st.next_n == {"face0": 1, "face1": 0, "env": 1}
        assert st.save("face0", _jpeg(3)) == "face0.1.jpg"

    _with_card(body)


def test_manifest_failure_is_reported_as_such():
    def body(card):
        st, expected = _saved_two(card)
        path = card.root + "/captures.csv"

        class NoManifest(SpyFs):
            def open(self, p, mode):
                if p == path and "a" in mode:
                    raise OSError(13)
                return self.inner.open(p, mode)

        inner = st.fs
        st.fs = NoManifest(inner)
        assert st.save("env", _jpeg(3)) is None
        assert "manifest captures.csv not updated" in st.status, st.status
        assert "folder full" not in st.status
        st.fs = inner
        assert st.retry(), st.status
        # journaled FAT undid the whole capture; a host folder keeps the file and lists it now
        name = st.save("env", _jpeg(4))
        files = card.files()
        listed = [r.split(",")[0] for r in files["captures.csv"].decode().split("\n")[1:] if r]
        assert sorted(listed) == sorted(_images(files)), (listed, sorted(files))
        assert name in ("env.0.jpg", "env.1.jpg") and files[name] == _jpeg(4)

    _with_card(body)

