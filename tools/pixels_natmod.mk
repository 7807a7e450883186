# The native pixel kernels (firmware/natmod/pixels: MLX90640 To, renderer, grayscale, motion) as a
# dynamic native module, heatface_pixels.mpy, that stock firmware loads. Built per variant from a
# copy in the build cache, keyed on the sources, MicroPython's natmod tooling and the flags, then
# copied to out/natmod/<variant>/heatface_pixels.mpy:
#   armv7emsp   Cortex-M4F boards (Wio Terminal) and the emulated board
#   x64         the 64-bit unix port of the device suite (double floats)
#   x86-f32     the 32-bit single-float unix port
# Included from the Makefile; needs arm-none-eabi-gcc, gcc (-m32: gcc-multilib) and pyelftools.
#
#   make natmod-pixels        all variants

# HF_CACHE and MICROPY_SRC (and the hf-sources clone on a user's machine) come from tools/build.mk.
PIXELS_DIR      := firmware/natmod/pixels
PIXELS_VARIANTS := armv7emsp x64 x86-f32
pixels_mpy       = out/natmod/$(1)/heatface_pixels.mpy

# variant -> make arguments for py/dynruntime.mk
pixels_args_armv7emsp := ARCH=armv7emsp MICROPY_FLOAT_IMPL=float
pixels_args_x64       := ARCH=x64 MICROPY_FLOAT_IMPL=double
pixels_args_x86-f32   := ARCH=x86 MICROPY_FLOAT_IMPL=float

.PHONY: natmod-pixels
natmod-pixels: $(foreach v,$(PIXELS_VARIANTS),$(call pixels_mpy,$(v)))

out/natmod/%/heatface_pixels.mpy: $(wildcard $(PIXELS_DIR)/*) | venv hf-sources
	@key=$$({ cat $(sort $(wildcard $(PIXELS_DIR)/*)) $(MICROPY_SRC)/py/dynruntime.mk \
	    $(MICROPY_SRC)/py/dynruntime.h $(MICROPY_SRC)/tools/mpy_ld.py $(MICROPY_SRC)/py/persistentcode.h; \
	    echo "$(pixels_args_$*)"; } | sha256sum | cut -c1-12); \
	dir=$(HF_CACHE)/natmod-pixels-$*-$$key; \
	if [ ! -f $$dir/heatface_pixels.mpy ]; then \
	  mkdir -p $(HF_CACHE) && tmp=$$(mktemp -d $(HF_CACHE)/.tmp-natmod-pixels-XXXXXX) && \
	  cp $(PIXELS_DIR)/* $$tmp/ && \
	  PYTHONDONTWRITEBYTECODE=1 $(MAKE) -s -C $$tmp MPY_DIR=$(MICROPY_SRC) \
	    PYTHON=$(abspath $(BIN)/python) $(pixels_args_$*) >$$tmp/build.log 2>&1 \
	    || { cat $$tmp/build.log; rm -rf $$tmp; exit 1; }; \
	  rm -rf $$tmp/build; mv -T $$tmp $$dir 2>/dev/null || rm -rf $$tmp; \
	fi; \
	mkdir -p $(dir $@) && cp $$dir/heatface_pixels.mpy $@.$$$$ && mv -f $@.$$$$ $@
