"""qsim model zoo: Brevitas TFC, CNV and QeNet in w1a1, w1a2, w2a2, w4a4 with default FINN
foldings, and a small trained example (TFC on scikit-learn's digits, :mod:`qsim.zoo.digits`)."""

from qsim.zoo._foldings import MVAU_FOLDS, default_folding
from qsim.zoo._nets import INPUT_SHAPES, NETS, VARIANTS, build, parse_variant

__all__ = ["INPUT_SHAPES", "MVAU_FOLDS", "NETS", "VARIANTS", "build", "default_folding",
           "parse_variant"]
