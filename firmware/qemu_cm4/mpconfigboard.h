// heatface's emulated Cortex-M4F board: the qemu port's configuration, then what differs on the
// Wio Terminal's samd51 firmware (ports/samd/mpconfigport.h, ports/samd/mcu/samd51/mpconfigmcu.h).
#include "ports/qemu/mpconfigport.h"

// ROM level and VM settings of the samd51
#undef MICROPY_CONFIG_ROM_LEVEL
#define MICROPY_CONFIG_ROM_LEVEL            (MICROPY_CONFIG_ROM_LEVEL_FULL_FEATURES)
#define MICROPY_ERROR_REPORTING             (MICROPY_ERROR_REPORTING_TERSE)
// The samd port's uint16_t GC stack entries index at most 65,536 blocks (1 MiB of heap): enough for
// the Wio's 176,876 bytes, but the launcher boots test boards with up to 8 MB, and a block past
// 1 MiB would be truncated on the mark stack (its children scanned from the wrong block, live
// objects freed). 32-bit entries cost 128 bytes of .bss and no heap.
#define MICROPY_GC_STACK_ENTRY_TYPE         uint32_t
#define MICROPY_GC_ALLOC_THRESHOLD          (0)
#define MICROPY_ALLOC_PATH_MAX              (256)
#define MICROPY_STACK_CHECK_MARGIN          (1024)
#define MICROPY_PY_BUILTINS_COMPLEX         (0)
#define MICROPY_USE_INTERNAL_ERRNO          (1)
#define MICROPY_SCHEDULER_STATIC_NODES      (1)
#define MICROPY_PY_OS_SYNC                  (1)
// The qemu port counts allocations and warns; the samd port does neither.
#undef MICROPY_MALLOC_USES_ALLOCATED_SIZE
#undef MICROPY_MEM_STATS
#undef MICROPY_WARNINGS
#define MICROPY_MEM_STATS                   (0)
#define MICROPY_WARNINGS                    (0)

// ROMFS: vfs.rom_ioctl serves one segment (board.c), mounted at /rom on every boot by mp_init.
#undef MICROPY_VFS_ROM_IOCTL
#define MICROPY_VFS_ROM_IOCTL               (1)

// fatfs as on the samd51 (for the SD card)
#define MICROPY_FATFS_ENABLE_LFN            (1)
#define MICROPY_FATFS_RPATH                 (2)
#define MICROPY_FATFS_MAX_SS                (4096)
#define MICROPY_FATFS_LFN_CODE_PAGE         437

// Memory map of the emulated board (QEMU mps2-an386): firmware, .data, .bss and the stack live in
// SSRAM1 (0x00000000, 4 MB); the 16 MB PSRAM at 0x21000000 holds what the host loads with
// `-device loader`: the launch configuration, the ROMFS segment, the RAM disks (flash, SD card) and the GC heap.
#define HF_CONFIG_ADDR                      (0x21000000)
#define HF_ROMFS_ADDR                       (0x21010000)
#define HF_ROMFS_MAX_BYTES                  (0x00100000)
#define HF_DISK_ADDR                        (0x21200000)
#define HF_DISK_BYTES                       (0x00400000)
#define HF_DISK_BLOCK_BYTES                 (4096)
#define HF_CARD_ADDR                        (0x21600000)
#define HF_CARD_BYTES                       (0x00200000)
#define HF_CARD_BLOCK_BYTES                 (512)
#define HF_HEAP_ADDR                        (0x21800000)
#define HF_HEAP_MAX_BYTES                   (0x00800000)
#define HF_STACK_BYTES                      (16 * 1024)
