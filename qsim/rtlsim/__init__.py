"""rtlsim: the SystemVerilog cores of qsim under Verilator + cocotb.

* :mod:`qsim.rtlsim.svgen`: SV packages and tops generated from block configs;
* :mod:`qsim.rtlsim.build`: cached Verilator builds and lint;
* :mod:`qsim.rtlsim.bench`: the cocotb driver/monitor (runs inside the simulator);
* :mod:`qsim.rtlsim.check`: :func:`verify_rtl`, bit- and cycle-exact comparison with the models;
* :mod:`qsim.rtlsim.stitch`: the SV top of a stitch plan (:mod:`qsim.pipeline.plan`);
* :mod:`qsim.rtlsim.native_run`: the native Verilator harness of stitched designs.

The cycle models of the glue (FIFO, width converter), the stitch plan and FIFO sizing are
models of the pipeline and live in :mod:`qsim.pipeline`.
"""

from qsim.rtlsim.check import RtlReport, random_vectors, verify_rtl
from qsim.rtlsim.patterns import DEFAULT_PATTERNS, Pattern
from qsim.rtlsim.svgen import RTL_DIR, CoreSpec, core_spec

__all__ = [
    "DEFAULT_PATTERNS",
    "RTL_DIR",
    "CoreSpec",
    "Pattern",
    "RtlReport",
    "core_spec",
    "random_vectors",
    "verify_rtl",
]
