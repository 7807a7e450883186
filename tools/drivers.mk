# The pure-Python LCD driver the boards install (`make deploy` mip-installs the same file):
# russhughes/st7789py_mpy at 7265925. The simulated board and the tests run it unmodified, from
# the third_party folder MICROPY_SRC is in (CI: ../shared/third_party, see .ci/run), else from a
# clone of the pinned commit in the build cache.

ST7789PY_COMMIT  := 7265925
ST7789PY_SRC     ?= $(or $(wildcard $(dir $(MICROPY_SRC))st7789py_mpy),$(HF_CACHE)/src/st7789py_mpy-$(ST7789PY_COMMIT))
export HEATFACE_ST7789PY := $(ST7789PY_SRC)/lib
# the C driver's source, read by the tests (its Wio Terminal init and rotation tables)
ST7789_MPY_COMMIT := f629308
ST7789_MPY_SRC    ?= $(or $(wildcard $(dir $(MICROPY_SRC))st7789_mpy),$(HF_CACHE)/src/st7789_mpy-$(ST7789_MPY_COMMIT))
export HEATFACE_ST7789_MPY := $(ST7789_MPY_SRC)
# micropython-lib's SD card driver, from the MicroPython tree (tools/build.mk: MICROPY_SRC)
SDCARD_PY = $(MICROPY_SRC)/lib/micropython-lib/micropython/drivers/storage/sdcard/sdcard.py

.PHONY: st7789py-src

st7789py-src: $(ST7789PY_SRC)/lib/st7789py.py $(ST7789_MPY_SRC)/st7789/st7789.c

# $(call clone_at,URL,COMMIT,FOLDER): the pinned commit, cloned to a temporary name, then renamed
define clone_at
	@mkdir -p $(dir $(3))
	rm -rf $(3).tmp
	git clone -q $(1) $(3).tmp
	git -C $(3).tmp checkout -q $(2)
	mv -T $(3).tmp $(3)
endef

$(HF_CACHE)/src/st7789py_mpy-$(ST7789PY_COMMIT)/lib/st7789py.py:
	$(call clone_at,https://github.com/russhughes/st7789py_mpy,$(ST7789PY_COMMIT),$(HF_CACHE)/src/st7789py_mpy-$(ST7789PY_COMMIT))

$(HF_CACHE)/src/st7789_mpy-$(ST7789_MPY_COMMIT)/st7789/st7789.c:
	$(call clone_at,https://github.com/russhughes/st7789_mpy,$(ST7789_MPY_COMMIT),$(HF_CACHE)/src/st7789_mpy-$(ST7789_MPY_COMMIT))
