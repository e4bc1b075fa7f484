"""Hypothesis strategies for the tests: the package's own (qsim.verify.strategies)."""

from qsim.verify.strategies import (  # noqa: F401
    ALL_TYPES,
    INT_TYPES,
    any_block,
    divisors,
    maxpool_configs,
    mvtu_configs,
    out_type_for,
    patterns,
    rand_thresholds,
    rand_values,
    swg_configs,
    thresholding_configs,
)
