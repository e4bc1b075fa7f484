"""rtlsim: the SystemVerilog cores of qsim under Verilator + cocotb.

* :mod:`qsim.rtlsim.svgen`: SV packages and tops generated from block configs;
* :mod:`qsim.rtlsim.build`: cached Verilator builds and lint;
* :mod:`qsim.rtlsim.bench`: the cocotb driver/monitor (runs inside the simulator);
* :mod:`qsim.rtlsim.check`: :func:`verify_rtl`, bit- and cycle-exact comparison with the models;
* :mod:`qsim.rtlsim.fifo_model`, :mod:`qsim.rtlsim.dwc_model`: cycle models of the glue blocks.
"""

from qsim.rtlsim.check import RtlReport, random_vectors, verify_rtl
from qsim.rtlsim.dwc_model import DataWidthConverter
from qsim.rtlsim.fifo_model import Fifo
from qsim.rtlsim.patterns import DEFAULT_PATTERNS, Pattern
from qsim.rtlsim.svgen import RTL_DIR, CoreSpec, core_spec

__all__ = [
    "DEFAULT_PATTERNS",
    "RTL_DIR",
    "CoreSpec",
    "DataWidthConverter",
    "Fifo",
    "Pattern",
    "RtlReport",
    "core_spec",
    "random_vectors",
    "verify_rtl",
]
