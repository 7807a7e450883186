# heatface — the native int8 kernels (firmware/natmod/heatface_nn, CMSIS-NN inside) as dynamic
# native modules. Included by the Makefile.
#
#   make natmod NATMOD_ARCH=armv7emsp|x64|x86   -> $(HF_CACHE)/natmod-<key>/heatface_nn_<arch>.mpy
#
# $(call natmod_path,ARCH) builds the module if needed (once per source + configuration, see
# tools/build_natmod.sh) and gives its path. CMSIS-NN v7.0.0 comes from ../shared/third_party in
# CI, else from a clone of the tag in the cache; MicroPython from MICROPY_SRC (tools/build.mk).

HF_CACHE     ?= $(HOME)/.cache/heatface
CMSIS_NN_TAG := v7.0.0
CMSIS_NN_URL ?= https://github.com/ARM-software/CMSIS-NN.git
ifeq ($(MICROPY_SRC),)
MICROPY_SRC  := $(firstword $(wildcard $(CURDIR)/../shared/third_party/micropython) \
                  $(HF_CACHE)/src/micropython-v1.28.0)
endif
ifeq ($(CMSIS_NN_SRC),)
CMSIS_NN_SRC := $(firstword $(wildcard $(CURDIR)/../shared/third_party/CMSIS-NN) \
                  $(HF_CACHE)/src/CMSIS-NN-$(CMSIS_NN_TAG))
endif
NATMOD_ARCH  ?= armv7emsp
NATMOD_ENV    = HF_CACHE=$(HF_CACHE) MICROPY_SRC=$(MICROPY_SRC) CMSIS_NN_SRC=$(CMSIS_NN_SRC) \
                PYTHON=$(BIN)/python
natmod_path   = $(shell $(NATMOD_ENV) tools/build_natmod.sh $(1))

.PHONY: natmod

natmod: setup $(CMSIS_NN_SRC)
	@$(NATMOD_ENV) tools/build_natmod.sh $(NATMOD_ARCH)

# A user's machine: the pinned tag, cloned once (to a temporary name, then renamed into place).
$(HF_CACHE)/src/CMSIS-NN-$(CMSIS_NN_TAG):
	@mkdir -p $(dir $@)
	rm -rf $@.tmp
	git clone --depth 1 --branch $(CMSIS_NN_TAG) $(CMSIS_NN_URL) $@.tmp
	mv -T $@.tmp $@
