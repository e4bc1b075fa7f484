"""Cross-level verification flows (ref, model, cppsim, rtlsim); installed as ``qsim.verify``.

Importing the package registers the built-in levels (:mod:`qsim.verify._builtin_levels`).
"""

from . import (
    _builtin_levels,  # noqa: F401  (registers ref, model, cppsim, rtlsim)
    _stitched_level,  # noqa: F401  (registers rtlsim-stitched)
)
