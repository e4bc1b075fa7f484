"""qsim: cycle-accurate, bit-exact simulation and verification of FINN-style dataflow
accelerators (DESIGN.md)."""

from qsim.errors import (
    ConfigError,
    MismatchError,
    ModelImportError,
    QsimError,
    SimulationError,
    StreamError,
    ToolchainError,
)
from qsim.models import (
    MVTU,
    AddStreams,
    DuplicateStreams,
    FMPadding,
    GlobalAccPool,
    LabelSelect,
    MaxPool,
    SlidingWindow,
    Thresholding,
)

__version__ = "0.1.0"

from qsim.frontend import Design, load  # noqa: E402  (built on the models above)

__all__ = [
    "MVTU",
    "AddStreams",
    "ConfigError",
    "Design",
    "DuplicateStreams",
    "FMPadding",
    "GlobalAccPool",
    "LabelSelect",
    "MaxPool",
    "MismatchError",
    "ModelImportError",
    "QsimError",
    "SimulationError",
    "SlidingWindow",
    "StreamError",
    "Thresholding",
    "ToolchainError",
    "__version__",
    "load",
]
