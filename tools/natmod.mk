# heatface — its dynamic native modules, both built one way: `$(NATMOD_ENV) tools/build_natmod.sh
# MODULE VARIANT` builds a module if needed (once per source + configuration, in the build cache)
# and prints its path. Included by the Makefile.
#   heatface_nn      the int8 kernels (firmware/natmod/heatface_nn, CMSIS-NN inside)
#   heatface_pixels  the per-pixel kernels (firmware/natmod/pixels: MLX90640 To, renderer,
#                    grayscale, motion), copied to out/natmod/<variant>/heatface_pixels.mpy
#
#   make natmod NATMOD_ARCH=armv7emsp|x64|x86   -> $(HF_CACHE)/natmod-<key>/heatface_nn_<arch>.mpy
#   make natmod-pixels                          -> out/natmod/<variant>/heatface_pixels.mpy, all variants
#
# Needs arm-none-eabi-gcc, gcc (-m32: gcc-multilib) and pyelftools. MicroPython is MICROPY_SRC
# (tools/build.mk).

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
# heatface_pixels' variants (tools/build_natmod.sh): armv7emsp for Cortex-M4F boards (Wio Terminal)
# and the emulated board, x64 for the 64-bit unix port of the device suite (double floats), x86-f32
# for the 32-bit single-float unix port
PIXELS_VARIANTS := armv7emsp x64 x86-f32

.PHONY: natmod natmod-pixels

natmod: setup $(NATMOD_SRCS)
	@$(NATMOD_ENV) tools/build_natmod.sh heatface_nn $(NATMOD_ARCH)

natmod-pixels: $(foreach v,$(PIXELS_VARIANTS),out/natmod/$(v)/heatface_pixels.mpy)

out/natmod/%/heatface_pixels.mpy: $(wildcard firmware/natmod/pixels/*) | venv hf-sources
	@nm=$$($(NATMOD_ENV) tools/build_natmod.sh heatface_pixels $*) && mkdir -p $(dir $@) && \
	  cp "$$nm" $@.$$$$ && mv -f $@.$$$$ $@

# A user's machine: the pinned tag, cloned once (to a temporary name, then renamed into place).
$(HF_CACHE)/src/CMSIS-NN-$(CMSIS_NN_TAG):
	@mkdir -p $(dir $@)
	rm -rf $@.tmp
	git clone --depth 1 --branch $(CMSIS_NN_TAG) $(CMSIS_NN_URL) $@.tmp
	mv -T $@.tmp $@
