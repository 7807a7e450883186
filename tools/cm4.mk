# heatface on the emulated Cortex-M4F board (QEMU mps2-an386, firmware/qemu_cm4). Included by the
# Makefile after tools/build.mk (HF_CACHE, MICROPY_SRC: exported to tools/cm4).
#
#   make test-cm4 [CM4_FORMS="default frozen"]   the device suite on the board, per deployment form,
#                                                and the live/collect heap-fit run (default form)
#   make cm4-firmware                            build both firmwares into $(HF_CACHE)/cm4-firmware
#   make cm4-board [FORM=default] [CM4_HEAP=bytes]  boot a board with the app deployed; prints its pty
#                                                (mpremote connect <pty>); Ctrl-C stops it
#   make soak [SOAK_FRAMES=10000]                the app's loop for 10,000 frames in each mode at the
#                                                Wio heap: errors, free heap, drift -> out/soak.json
#                                                (tools/cm4/soak.py; `make test` runs a short one)
#
# Forms: py (sources on the filesystem), mpy (.mpy files), romfs (.mpy in ROMFS), frozen (custom
# firmware); default = the form `make deploy` uses (tools/deploy.mk).

CM4_FORMS   ?= default frozen
CM4_PY      := $(BIN)/python

.PHONY: test-cm4 cm4-firmware cm4-board soak test-cm4-soak

TEST_SUITES += cm4=test-cm4 cm4-soak=test-cm4-soak

test-cm4: setup hf-sources st7789py-src
	@status=0; for form in $(CM4_FORMS); do \
	  $(CM4_PY) tools/cm4/suite.py --form $$form || status=1; \
	done; \
	$(CM4_PY) tools/cm4/heap_fit.py --test || status=1; \
	exit $$status

cm4-firmware: setup hf-sources
	$(CM4_PY) tools/cm4/build.py
	$(CM4_PY) tools/cm4/build.py --frozen

cm4-board: setup hf-sources
	$(CM4_PY) tools/cm4/run.py --board --form $(or $(FORM),default) $(if $(CM4_HEAP),--heap $(CM4_HEAP))

soak: setup hf-sources st7789py-src
	$(CM4_PY) tools/cm4/soak.py --json out/soak.json $(if $(SOAK_FRAMES),--frames $(SOAK_FRAMES))

test-cm4-soak: setup hf-sources st7789py-src
	$(CM4_PY) tools/cm4/soak.py --test
