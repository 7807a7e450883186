# heatface — the native int8 kernels (firmware/natmod/heatface_nn, CMSIS-NN inside) as dynamic
# native modules. Included by the Makefile.
#
#   make natmod NATMOD_ARCH=armv7emsp|x64|x86   -> $(HF_CACHE)/natmod-<key>/heatface_nn_<arch>.mpy
#
# `$(NATMOD_ENV) tools/build_natmod.sh ARCH` builds the module if needed (once per source +
# configuration) and prints its path. MicroPython is MICROPY_SRC (tools/build.mk).

CMSIS_NN_TAG := v7.0.0
CMSIS_NN_URL ?= https://github.com/ARM-software/CMSIS-NN.git
ifeq ($(CMSIS_NN_SRC),)
# beside MicroPython in ../shared/third_party (CI), else a clone of the tag in the cache
CMSIS_NN_SRC := $(firstword $(wildcard $(abspath $(MICROPY_SRC)/../CMSIS-NN)) \
                  $(HF_CACHE)/src/CMSIS-NN-$(CMSIS_NN_TAG))
endif
# what a natmod build needs first: the trees (cloned on a user's machine)
NATMOD_SRCS  := $(CMSIS_NN_SRC) $(MICROPY_CLONE)
NATMOD_ARCH  ?= armv7emsp
NATMOD_ENV    = HF_CACHE=$(HF_CACHE) MICROPY_SRC=$(MICROPY_SRC) CMSIS_NN_SRC=$(CMSIS_NN_SRC) \
                PYTHON=$(BIN)/python

.PHONY: natmod

natmod: setup $(NATMOD_SRCS)
	@$(NATMOD_ENV) tools/build_natmod.sh $(NATMOD_ARCH)

# A user's machine: the pinned tag, cloned once (to a temporary name, then renamed into place).
$(HF_CACHE)/src/CMSIS-NN-$(CMSIS_NN_TAG):
	@mkdir -p $(dir $@)
	rm -rf $@.tmp
	git clone --depth 1 --branch $(CMSIS_NN_TAG) $(CMSIS_NN_URL) $@.tmp
	mv -T $@.tmp $@
