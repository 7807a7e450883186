"""The Wio Terminal profile's SD card on micropython-lib's sdcard driver (unmodified; `make`
compiles it from MICROPY_SRC next to the device modules) and a simulated card: the driver
re-initialises SPI(6) at its ``baudrate=`` argument, so the profile must pass the rate it wants,
one the SAMD51's SERCOM produces exactly (ports/samd/machine_spi.c: BAUD = 48 MHz // (2 * rate)
- 1, clock = 48 MHz / (2 * (BAUD + 1))). MicroPython only: the driver stores ints > 255 into a
bytearray, which MicroPython truncates and CPython refuses."""

import fakes_machine
from heatface.boards import wio_terminal as wio
from heatface_sim.sdspi import SDCardSPI
from mptest import IS_MICROPYTHON, skip

SAMD51_PERIPHERAL_HZ = 48_000_000


def sercom_spi_hz(requested):
    """The SPI clock the samd port sets for ``requested`` Hz on a SAMD51."""
    baud = SAMD51_PERIPHERAL_HZ // (2 * requested)
    if baud > 0:
        baud -= 1
    return SAMD51_PERIPHERAL_HZ // (2 * (min(baud, 255) + 1))


def _with_machine(card, fn):
    if not IS_MICROPYTHON:
        skip("micropython-lib's sdcard runs on MicroPython only")
    saved = fakes_machine.install(spi_for={6: card})
    try:
        return fn()
    finally:
        fakes_machine.uninstall(saved)


def test_sercom_rates():
    assert sercom_spi_hz(20_000_000) == 24_000_000  # what the old 20 MHz setting really gave
    assert sercom_spi_hz(12_000_000) == 12_000_000
    assert sercom_spi_hz(1_320_000) != 1_320_000  # sdcard's default is not a SERCOM rate either


def test_wio_sd_card_runs_at_the_rate_the_profile_asks_for():
    card = SDCardSPI(sectors=65536)
    device = _with_machine(card, lambda: wio.Board({}).sd_card())
    assert card.inits == [100_000, wio.SD_HZ], card.inits  # identification, then working rate
    assert sercom_spi_hz(wio.SD_HZ) == wio.SD_HZ
    assert device.sectors == 65536


def test_wio_without_a_card_reports_and_keeps_running():
    ok, message = _with_machine(SDCardSPI(present=False), lambda: wio.Board({}).mount_storage())
    assert not ok and "no SD card" in message, message
