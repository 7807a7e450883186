// heatface's emulated Cortex-M4F board: the samd port's main loop (boot scripts, soft reset), the
// RAM disk for littlefs and the ROMFS segment. Both live outside the GC heap, at addresses the
// host fills with QEMU's `-device loader` (a filesystem image loads in an instant; the emulated
// UART moves about 2 KB/s). The launch configuration word block sets the heap size.
#include <string.h>

#include "py/compile.h"
#include "py/gc.h"
#include "py/mphal.h"
#include "py/mperrno.h"
#include "py/objarray.h"
#include "py/runtime.h"
#include "py/stackctrl.h"
#include "extmod/vfs.h"
#include "shared/readline/readline.h"
#include "shared/runtime/gchelper.h"
#include "shared/runtime/pyexec.h"

#define HF_CONFIG_MAGIC (0x31434648) // "HFC1"

typedef struct _hf_config_t {
    uint32_t magic;
    uint32_t heap_bytes;  // 0: MICROPY_HEAP_SIZE (the Wio Terminal's)
    uint32_t romfs_bytes; // size of the ROMFS segment; 0: none
} hf_config_t;

static const volatile hf_config_t *hf_config(void) {
    const volatile hf_config_t *c = (const volatile hf_config_t *)HF_CONFIG_ADDR;
    return c->magic == HF_CONFIG_MAGIC ? c : NULL;
}

static size_t hf_heap_bytes(void) {
    const volatile hf_config_t *c = hf_config();
    size_t n = (c && c->heap_bytes) ? c->heap_bytes : MICROPY_HEAP_SIZE;
    return n > HF_HEAP_MAX_BYTES ? HF_HEAP_MAX_BYTES : n;
}

// ---- RAM disks: the block protocol of vfs (readblocks/writeblocks with offset, ioctl) ----------
// RAMDisk() / RAMDisk(0): the board's flash (littlefs at /, 4096-byte blocks, as the Wio's QSPI).
// RAMDisk(1): an SD card's storage (512-byte sectors) for a light board's FAT card: what the card
// holds stays out of the heap, as on a real card.

typedef struct _hf_ramdisk_obj_t {
    mp_obj_base_t base;
    uint8_t *base_addr;
    uint32_t bytes;
    uint32_t block_bytes;
} hf_ramdisk_obj_t;

static const mp_obj_type_t hf_ramdisk_type;
static const hf_ramdisk_obj_t hf_ramdisks[] = {
    {{&hf_ramdisk_type}, (uint8_t *)HF_DISK_ADDR, HF_DISK_BYTES, HF_DISK_BLOCK_BYTES},
    {{&hf_ramdisk_type}, (uint8_t *)HF_CARD_ADDR, HF_CARD_BYTES, HF_CARD_BLOCK_BYTES},
};

static mp_obj_t hf_ramdisk_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 1, false);
    mp_int_t id = n_args ? mp_obj_get_int(args[0]) : 0;
    if (id < 0 || id >= (mp_int_t)MP_ARRAY_SIZE(hf_ramdisks)) {
        mp_raise_ValueError(MP_ERROR_TEXT("no such RAM disk"));
    }
    return MP_OBJ_FROM_PTR(&hf_ramdisks[id]);
}

static uint8_t *hf_ramdisk_span(mp_obj_t self_in, mp_obj_t block_in, mp_obj_t offset_in, size_t len) {
    const hf_ramdisk_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t addr = mp_obj_get_int(block_in) * self->block_bytes;
    if (offset_in != MP_OBJ_NULL) {
        addr += mp_obj_get_int(offset_in);
    }
    if (addr + len > self->bytes) {
        mp_raise_OSError(MP_EIO);
    }
    return self->base_addr + addr;
}

static mp_obj_t hf_ramdisk_readblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t buf;
    mp_get_buffer_raise(args[2], &buf, MP_BUFFER_WRITE);
    memcpy(buf.buf, hf_ramdisk_span(args[0], args[1], n_args == 4 ? args[3] : MP_OBJ_NULL, buf.len), buf.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(hf_ramdisk_readblocks_obj, 3, 4, hf_ramdisk_readblocks);

static mp_obj_t hf_ramdisk_writeblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t buf;
    mp_get_buffer_raise(args[2], &buf, MP_BUFFER_READ);
    memcpy(hf_ramdisk_span(args[0], args[1], n_args == 4 ? args[3] : MP_OBJ_NULL, buf.len), buf.buf, buf.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(hf_ramdisk_writeblocks_obj, 3, 4, hf_ramdisk_writeblocks);

static mp_obj_t hf_ramdisk_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    const hf_ramdisk_obj_t *self = MP_OBJ_TO_PTR(self_in);
    switch (mp_obj_get_int(op_in)) {
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT:
            return MP_OBJ_NEW_SMALL_INT(self->bytes / self->block_bytes);
        case MP_BLOCKDEV_IOCTL_BLOCK_SIZE:
            return MP_OBJ_NEW_SMALL_INT(self->block_bytes);
        case MP_BLOCKDEV_IOCTL_BLOCK_ERASE:
            memset(hf_ramdisk_span(self_in, arg_in, MP_OBJ_NULL, self->block_bytes), 0xff, self->block_bytes);
            return MP_OBJ_NEW_SMALL_INT(0);
        default: // INIT, DEINIT, SYNC
            return MP_OBJ_NEW_SMALL_INT(0);
    }
}
static MP_DEFINE_CONST_FUN_OBJ_3(hf_ramdisk_ioctl_obj, hf_ramdisk_ioctl);

static const mp_rom_map_elem_t hf_ramdisk_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_readblocks), MP_ROM_PTR(&hf_ramdisk_readblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_writeblocks), MP_ROM_PTR(&hf_ramdisk_writeblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&hf_ramdisk_ioctl_obj) },
};
static MP_DEFINE_CONST_DICT(hf_ramdisk_locals_dict, hf_ramdisk_locals_dict_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    hf_ramdisk_type, MP_QSTR_RAMDisk, MP_TYPE_FLAG_NONE,
    make_new, hf_ramdisk_make_new,
    locals_dict, &hf_ramdisk_locals_dict
    );

// cm4board.heap_bytes(): the GC heap region the board booted with.
static mp_obj_t hf_heap_bytes_fun(void) {
    return mp_obj_new_int(hf_heap_bytes());
}
static MP_DEFINE_CONST_FUN_OBJ_0(hf_heap_bytes_obj, hf_heap_bytes_fun);

// cm4board.collections(): garbage collections since boot (automatic and gc.collect()).
static uint32_t hf_collections;

static mp_obj_t hf_collections_fun(void) {
    return mp_obj_new_int_from_uint(hf_collections);
}
static MP_DEFINE_CONST_FUN_OBJ_0(hf_collections_obj, hf_collections_fun);

static const mp_rom_map_elem_t cm4board_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_cm4board) },
    { MP_ROM_QSTR(MP_QSTR_RAMDisk), MP_ROM_PTR(&hf_ramdisk_type) },
    { MP_ROM_QSTR(MP_QSTR_heap_bytes), MP_ROM_PTR(&hf_heap_bytes_obj) },
    { MP_ROM_QSTR(MP_QSTR_collections), MP_ROM_PTR(&hf_collections_obj) },
};
static MP_DEFINE_CONST_DICT(cm4board_module_globals, cm4board_module_globals_table);

const mp_obj_module_t cm4board_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&cm4board_module_globals,
};
MP_REGISTER_MODULE(MP_QSTR_cm4board, cm4board_module);

// ---- ROMFS: one read-only segment (as the samd port's, which is memory-mapped flash) ----------

static MP_DEFINE_MEMORYVIEW_OBJ(hf_romfs_obj, 'B', 0, 0, (void *)HF_ROMFS_ADDR);

mp_obj_t mp_vfs_rom_ioctl(size_t n_args, const mp_obj_t *args) {
    const volatile hf_config_t *c = hf_config();
    size_t bytes = c ? c->romfs_bytes : 0;
    if (bytes == 0 || bytes > HF_ROMFS_MAX_BYTES) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
    switch (mp_obj_get_int(args[0])) {
        case MP_VFS_ROM_IOCTL_GET_NUMBER_OF_SEGMENTS:
            return MP_OBJ_NEW_SMALL_INT(1);
        case MP_VFS_ROM_IOCTL_GET_SEGMENT:
            hf_romfs_obj.len = bytes;
            return MP_OBJ_FROM_PTR(&hf_romfs_obj);
        default:
            return MP_OBJ_NEW_SMALL_INT(-MP_EINVAL);
    }
}

// The board has no RTC: file times are 2000-01-01 (fatfs) and time since boot (littlefs).
uint32_t get_fattime(void) {
    return (20 << 25) | (1 << 21) | (1 << 16);
}

uint64_t mp_hal_time_ns(void) {
    return (uint64_t)mp_hal_ticks_ms() * 1000000ULL;
}

// ---- main: the samd port's loop ----------------------------------------------------------------

extern uint32_t _estack;

int main(int argc, char **argv) {
    mp_cstack_init_with_top(&_estack, HF_STACK_BYTES);
    for (;;) {
        uint8_t *heap = (uint8_t *)HF_HEAP_ADDR;
        gc_init(heap, heap + hf_heap_bytes());
        mp_init();
        readline_init0();

        pyexec_frozen_module("_boot.py", false);
        int ret = pyexec_file_if_exists("boot.py");
        if (ret & PYEXEC_FORCED_EXIT) {
            goto soft_reset_exit;
        }
        if (pyexec_mode_kind == PYEXEC_MODE_FRIENDLY_REPL && ret != 0) {
            ret = pyexec_file_if_exists("main.py");
            if (ret & PYEXEC_FORCED_EXIT) {
                goto soft_reset_exit;
            }
        }

        for (;;) {
            if (pyexec_mode_kind == PYEXEC_MODE_RAW_REPL) {
                if (pyexec_raw_repl() != 0) {
                    break;
                }
            } else {
                if (pyexec_friendly_repl() != 0) {
                    break;
                }
            }
        }

    soft_reset_exit:
        mp_printf(MP_PYTHON_PRINTER, "MPY: soft reboot\n");
        gc_sweep_all();
        mp_deinit();
    }
}

void gc_collect(void) {
    hf_collections++;
    gc_collect_start();
    gc_helper_collect_regs_and_stack();
    gc_collect_end();
}

void nlr_jump_fail(void *val) {
    mp_printf(&mp_plat_print, "uncaught NLR\n");
    for (;;) {
    }
}
