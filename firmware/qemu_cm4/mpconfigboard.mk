# heatface's emulated Cortex-M4F board for MicroPython v1.28.0's ports/qemu, on QEMU's mps2-an386
# (Cortex-M4 with FPv4-SP). It stands in for the Wio Terminal (SAMD51, stock samd-port firmware):
# the samd51 compiler flags, single floats, the armv7emsp native emitter, the samd port's VM
# settings (mpconfigboard.h), the Wio's 176,876-byte GC heap and 16 KB stack, littlefs on a RAM
# disk and a ROMFS segment outside the heap (board.c). tools/cm4/build.py copies this folder to
# ports/qemu/boards/HEATFACE_CM4 in a cached copy of the MicroPython tree and builds it there.
QEMU_ARCH = arm
QEMU_MACHINE = mps2-an386

# the samd51's CFLAGS_MCU (ports/samd/mcu/samd51/mpconfigmcu.mk)
CFLAGS += -mthumb -mtune=cortex-m4 -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M4F"'
# The qemu port's mpconfigport.h sets its options unconditionally: this board's header includes it
# and then overrides what differs on the Wio Terminal.
CFLAGS += -DMP_CONFIGFILE='"boards/HEATFACE_CM4/mpconfigboard.h"'

LDSCRIPT = mcu/arm/mps2.ld
SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o
SRC_C += boards/HEATFACE_CM4/board.c shared/timeutils/timeutils.c

# The port's main.c has a fixed 10 KB stack limit, a static heap and no boot scripts; board.c has
# the samd port's main loop instead. Renaming keeps the port's file untouched; --gc-sections drops it.
$(BUILD)/main.o: CFLAGS += -Dmain=qemu_port_main -Dgc_collect=qemu_port_gc_collect \
	-Dnlr_jump_fail=qemu_port_nlr_jump_fail

MPY_CROSS_FLAGS += -march=armv7emsp
MICROPY_FLOAT_IMPL = float
# the samd51's filesystems: littlefs2 on flash (here a RAM disk), FAT for the SD card
MICROPY_VFS_LFS2 = 1
MICROPY_VFS_FAT = 1
SUPPORTS_HARDWARE_FP_SINGLE = 1
# The Wio Terminal's stock v1.28.0 GC heap region (_sheap.._eheap); the launcher may set another.
MICROPY_HEAP_SIZE = 176876

# HF_FROZEN_APP=1: the custom-firmware form, with heatface's lib/ and the model frozen in
# (firmware/manifest.py); otherwise only this board's _boot.py is frozen.
ifeq ($(HF_FROZEN_APP),1)
FROZEN_MANIFEST = boards/HEATFACE_CM4/manifest_app.py
else
FROZEN_MANIFEST = boards/HEATFACE_CM4/manifest.py
endif
