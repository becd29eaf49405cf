"""Real chips classify as the BIS rules say (data from abm/data/chips.csv)."""

import numpy as np
import pytest

from abm.data_tables import load_table
from abm.markets.chips import (
    CONTROLLED,
    LOW_BAND,
    UNCONTROLLED,
    classify_chips,
    licence_terms,
    tpp_of,
)

RULE = dict(
    tpp_threshold=4800,
    interconnect_gbps_threshold=600,
    density_tpp_floor=1600,
    density_threshold=5.92,
    low_band_tpp=1000,
)


def chip(name):
    row = next(r for r in load_table("chips") if r["name"] == name)
    return (
        np.array([tpp_of(row["bf16_tflops"])]),
        np.array([row["die_mm2"]]),
        np.array([row["interconnect_gbps"]]),
    )


def classify(name, rule, **over):
    tpp, die, link = chip(name)
    return int(classify_chips(tpp, die, link, rule=rule, **{**RULE, **over})[0])


def test_h100_is_controlled_under_both_rules():
    assert classify("H100", "oct2022") == CONTROLLED
    assert classify("H100", "oct2023") == CONTROLLED


def test_a800_passes_the_2022_rule_and_is_caught_by_the_2023_rule():
    assert classify("A800", "oct2022") != CONTROLLED  # NVLink cut to 400 GB/s
    assert classify("A800", "oct2023") == CONTROLLED


def test_h800_was_built_to_pass_the_2022_interconnect_test():
    assert classify("H800", "oct2022") != CONTROLLED
    assert classify("H800", "oct2023") == CONTROLLED


def test_h20_passes_the_2023_rule_and_falls_in_the_china_specific_band():
    assert classify("H20", "oct2023") == LOW_BAND
    assert tpp_of(148.0) == pytest.approx(2368.0)  # about 2,370 TPP


def test_nothing_is_controlled_without_a_rule():
    assert classify("H100", "none") == UNCONTROLLED


def test_lowering_the_tpp_threshold_catches_the_h20():
    assert classify("H20", "oct2023", tpp_threshold=2000) == CONTROLLED


def test_tier3_licences_deny_controlled_chips_and_charge_the_h20_revenue_share():
    cls = np.array([CONTROLLED, LOW_BAND, UNCONTROLLED])
    us = np.ones(3, dtype=bool)
    tiers = np.array([1, 3])
    licence = {"1": {"mode": "allow"}, "2": {"mode": "allow"}, "3": {"mode": "deny"}}
    low = {"mode": "revenue_share", "revenue_share": 0.15, "approve_probability": 1.0}
    allowed, share = licence_terms(cls, tiers, us, licence, low)
    np.testing.assert_array_equal(allowed, [[1, 1, 1], [0, 1, 1]])
    np.testing.assert_allclose(share, [[0, 0, 0], [0, 0.15, 0]])


def test_rules_do_not_apply_to_chips_of_non_us_vendors():
    cls = np.array([CONTROLLED])
    allowed, _ = licence_terms(
        cls,
        np.array([3]),
        np.array([False]),
        {"1": {"mode": "allow"}, "2": {"mode": "allow"}, "3": {"mode": "deny"}},
        {"mode": "allow"},
    )
    assert allowed[0, 0] == 1.0
