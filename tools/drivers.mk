# The pure-Python LCD driver the boards install (`make deploy` mip-installs the same file):
# russhughes/st7789py_mpy at 7265925. The simulated board and the tests run it unmodified, from
# the third_party folder MICROPY_SRC is in (CI: ../shared/third_party, see .ci/run), else from a
# clone of the pinned commit in the build cache.

ST7789PY_COMMIT  := 7265925
ST7789PY_SRC     ?= $(or $(wildcard $(dir $(MICROPY_SRC))st7789py_mpy),$(HF_CACHE)/src/st7789py_mpy-$(ST7789PY_COMMIT))
export HEATFACE_ST7789PY := $(ST7789PY_SRC)/lib
# micropython-lib's SD card driver, from the MicroPython tree (tools/build.mk: MICROPY_SRC)
SDCARD_PY = $(MICROPY_SRC)/lib/micropython-lib/micropython/drivers/storage/sdcard/sdcard.py

.PHONY: st7789py-src

st7789py-src: $(ST7789PY_SRC)/lib/st7789py.py

$(HF_CACHE)/src/st7789py_mpy-$(ST7789PY_COMMIT)/lib/st7789py.py:
	@mkdir -p $(HF_CACHE)/src
	rm -rf $(HF_CACHE)/src/.st7789py-tmp
	git clone -q https://github.com/russhughes/st7789py_mpy $(HF_CACHE)/src/.st7789py-tmp
	git -C $(HF_CACHE)/src/.st7789py-tmp checkout -q $(ST7789PY_COMMIT)
	mv $(HF_CACHE)/src/.st7789py-tmp $(HF_CACHE)/src/st7789py_mpy-$(ST7789PY_COMMIT)
