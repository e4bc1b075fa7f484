"""Configs and data for the cppsim tests: the package's grid and strategies."""

from qsim.verify.strategies import (  # noqa: F401
    ALL_TYPES,
    GRID,
    INT_TYPES,
    MH,
    MW,
    divisors,
    graph_block,
    grid_config,
    maxpool_configs,
    mvtu_configs,
    rand_input,
    rand_inputs,
    rand_thresholds,
    rand_values,
    swg_configs,
    thresholding_configs,
)
