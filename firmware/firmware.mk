# `make firmware-wio`: the Wio Terminal image (MicroPython v1.28.0 + ulab + heatface frozen), built
# for real from MICROPY_SRC and ULAB_SRC (tools/build.mk) with Debian's arm-none-eabi-gcc into the
# build cache; prints the flash used and left. See firmware/build_wio_terminal.sh and README.md.

ARM_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi

.PHONY: firmware-wio arm-toolchain

TEST_SUITES += firmware=firmware-wio  # make test builds it (CI)

firmware-wio: hf-sources arm-toolchain
	HF_CACHE=$(HF_CACHE) MICROPY_SRC=$(MICROPY_SRC) ULAB_SRC=$(ULAB_SRC) nice firmware/build_wio_terminal.sh

arm-toolchain:
	@if ! command -v arm-none-eabi-gcc >/dev/null || \
	    ! echo 'int main(void){return 0;}' | arm-none-eabi-gcc -x c -specs=nosys.specs -o /dev/null - 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends $(ARM_PACKAGES); \
	  else echo "firmware-wio needs: sudo apt-get install -y $(ARM_PACKAGES)"; exit 1; fi; \
	fi
