"""qsim model zoo: Brevitas TFC, CNV and QeNet in w1a1, w1a2, w2a2, w4a4, the seed study's
ResNet-8 and a small residual net in w4a4, w5a5, with default FINN foldings, and a small
trained example (TFC on scikit-learn's digits, :mod:`qsim.zoo.digits`)."""

from qsim.zoo._foldings import MVAU_FOLDS, default_folding
from qsim.zoo._nets import (
    INPUT_SHAPES,
    NET_VARIANTS,
    NETS,
    RESIDUAL_VARIANTS,
    VARIANTS,
    build,
    parse_variant,
)

__all__ = ["INPUT_SHAPES", "MVAU_FOLDS", "NETS", "NET_VARIANTS", "RESIDUAL_VARIANTS", "VARIANTS",
           "build", "default_folding", "parse_variant"]
