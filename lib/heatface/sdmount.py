"""Mounting the SD card (FatFs through :class:`heatface.fatjournal.JournalDevice`), never raising.

Board profiles call :func:`mount_sd` with their block device; :mod:`heatface.storage` re-exports it.
"""

import os

_EPERM = 1


def mount_sd(device, mount_point="/sd", readonly=False):
    """Mount a FAT-formatted block device at ``mount_point``; return ``(ok, message)``.

    ``device`` is a block device (``readblocks``/``writeblocks``/``ioctl``), e.g. micropython-lib's
    ``sdcard.SDCard(spi, cs)`` on the Wio Terminal or ``machine.SDCard()`` on an ESP32, or a
    factory (a callable) that constructs one; a factory lets :meth:`Storage.retry` re-initialise a
    card that was pulled and pushed back. A card already mounted there is unmounted first.
    Never raises for a missing or unreadable card.
    """
    from heatface.fatjournal import JournalDevice, register

    vfs = _vfs()
    try:
        if not hasattr(device, "readblocks"):
            device = device()
        device = JournalDevice(device)
        fs = vfs.VfsFat(device)
    except OSError as exc:
        if _errno(exc) is None and exc.args:  # the sdcard driver says e.g. "no SD card"
            return False, str(exc.args[0])
        return False, "no SD card (%s)" % _reason(exc)
    try:
        vfs.mount(fs, mount_point, readonly=readonly)
    except OSError as exc:
        if _errno(exc) != _EPERM:
            return False, "SD card mount failed (%s)" % _reason(exc)
        try:  # something is mounted there already (a pulled card): replace it
            vfs.umount(mount_point)
            vfs.mount(fs, mount_point, readonly=readonly)
        except OSError as exc2:
            return False, "SD card mount failed (%s)" % _reason(exc2)
    register(mount_point, device)
    return True, "SD card mounted at " + mount_point


def umount_sd(mount_point="/sd"):
    """Unmount ``mount_point``; return True if something was unmounted."""
    from heatface.fatjournal import forget

    forget(mount_point)
    try:
        _vfs().umount(mount_point)
        return True
    except OSError:
        return False


def _vfs():
    try:
        import vfs
    except ImportError:  # MicroPython before 1.23 kept these in os
        vfs = os
    return vfs


def _mount_adapter(mount_storage):
    """Turn a board's ``mount_storage()`` (which may return ``(ok, message)`` or a folder, or
    raise OSError when there is no card) into Storage's ``mount`` callable."""

    def mount():
        try:
            result = mount_storage()
        except OSError as exc:
            if _errno(exc) is None and exc.args:
                return False, str(exc.args[0])
            return False, "no SD card (%s)" % _reason(exc)
        if isinstance(result, tuple):
            return result
        return True, "SD card mounted"

    return mount


def _errno(exc):
    code = exc.args[0] if exc.args else None
    return code if isinstance(code, int) else None


def _reason(exc):
    code = _errno(exc)
    if code is None:
        return str(exc.args[0]) if exc.args else "error"
    return "errno %d" % code
