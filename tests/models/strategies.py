"""Hypothesis strategies for the tests: the package's own (qsim.verify.strategies)."""

from qsim.verify.strategies import (  # noqa: F401
    ALL_TYPES,
    GRID,
    INT_TYPES,
    MH,
    MW,
    any_block,
    divisors,
    grid_config,
    maxpool_configs,
    mvtu_configs,
    out_type_for,
    patterns,
    rand_input,
    rand_thresholds,
    rand_values,
    swg_configs,
    thresholding_configs,
)
