"""cppsim: the HLS C++ kernels of ``hls/qsim`` compiled with g++ and run on batches of vectors.

``run_cppsim(cfg, *xs) -> (y, trip_count)`` generates the kernel's top-level C++ from the config,
builds it (cached by content in ``.qsim_cache/cppsim``) and runs the whole batch in C++;
``run_cppsim_ports`` returns every output port of a multi-output block.
"""

from qsim.cppsim.build import (
    BuildResult,
    ap_types_dir,
    build_libraries,
    build_library,
    find_compiler,
    hls_dir,
)
from qsim.cppsim.codegen import entry_symbol, generate_source, kernel_of
from qsim.cppsim.runner import CppsimLibrary, run_cppsim, run_cppsim_ports

__all__ = [
    "BuildResult",
    "CppsimLibrary",
    "ap_types_dir",
    "build_libraries",
    "build_library",
    "entry_symbol",
    "find_compiler",
    "generate_source",
    "hls_dir",
    "kernel_of",
    "run_cppsim",
    "run_cppsim_ports",
]
