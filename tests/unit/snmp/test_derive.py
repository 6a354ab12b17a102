"""Counter deltas and rates: 32-bit wrap, resets and reboots."""

from __future__ import annotations

import pytest

from netscope_snmp.derive import counter_delta, elapsed_seconds, interface_rates
from netscope_snmp.sample import InterfaceSample


def test_counter_delta_cases() -> None:
    assert counter_delta(100, 250, 64, None) == 150
    assert counter_delta(2**32 - 10, 5, 32, None) == 15  # wrap
    assert counter_delta(2**32 - 10, 5, 32, 10) is None  # wrapped delta implausible for the speed: reset
    assert counter_delta(2_000_000_000, 10, 32, None) is None  # huge drop: reset, not wrap
    assert counter_delta(500, 10, 64, None) is None  # 64-bit decrease: reset
    assert counter_delta(None, 10, 64, None) is None


def test_elapsed_prefers_sysuptime_and_detects_reboot() -> None:
    assert elapsed_seconds(1000, 7000, 0.0, 61.0) == (60.0, False)
    assert elapsed_seconds(7000, 100, 0.0, 60.0) == (None, True)
    assert elapsed_seconds(None, None, 10.0, 40.0) == (30.0, False)


def sample(in_octets: int, out_octets: int, errors: int = 0, bits: int = 64) -> InterfaceSample:
    return InterfaceSample(
        index=1,
        speed_bps=1_000_000,
        in_octets=in_octets,
        out_octets=out_octets,
        counter_bits=bits,
        in_errors=errors,
        out_errors=0,
        in_discards=0,
        out_discards=0,
    )


def test_interface_rates_and_utilisation() -> None:
    rates = interface_rates(sample(0, 0), sample(7_500_000, 1_250_000, errors=60), 60.0)
    assert rates.in_bps == pytest.approx(1_000_000)
    assert rates.out_bps == pytest.approx(166_666.67, rel=1e-4)
    assert rates.utilization == pytest.approx(100.0)
    assert rates.in_errors_per_s == pytest.approx(1.0)


def test_32bit_wrap_gives_a_rate() -> None:
    rates = interface_rates(sample(2**32 - 1000, 0, bits=32), sample(1000, 0, bits=32), 10.0)
    assert rates.in_bps == pytest.approx(2000 * 8 / 10)


def test_counter_reset_gives_no_rate() -> None:
    rates = interface_rates(sample(10**9, 10**9), sample(5, 5), 10.0)
    assert rates.in_bps is None and rates.utilization is None
