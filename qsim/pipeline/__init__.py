"""Models of the pipeline: how the blocks of a Design are stitched and how words move.

* :mod:`qsim.pipeline.engine`: the pipeline cycle model (:func:`simulate_pipeline`), the
  max-plus recurrences of every stage evaluated by a compiled worklist (:mod:`._kernel`);
* :mod:`qsim.pipeline.fifo`, :mod:`qsim.pipeline.dwc`: configs and cycle models of the glue
  blocks (stream FIFO, data-width converter);
* :mod:`qsim.pipeline.plan`: the stitch plan (:func:`stitch`): a Design as cores, FIFOs and
  width converters, the one description that the cycle model, the stitched SV
  (:mod:`qsim.rtlsim.stitch`) and the native harness all read;
* :mod:`qsim.pipeline.fifo_sizing`: FIFO depths sized on the cycle model.

Nothing here simulates RTL: :mod:`qsim.rtlsim` holds SV generation, Verilator builds and the
harnesses.
"""

from qsim.pipeline.dwc import DataWidthConverter
from qsim.pipeline.engine import Stage, simulate_pipeline
from qsim.pipeline.fifo import Fifo
from qsim.pipeline.fifo_sizing import FifoSizing, chain_cycles, size_fifos
from qsim.pipeline.plan import Stitched, StitchNode, check_links, stitch

__all__ = [
    "DataWidthConverter",
    "Fifo",
    "FifoSizing",
    "Stage",
    "StitchNode",
    "Stitched",
    "chain_cycles",
    "check_links",
    "simulate_pipeline",
    "size_fifos",
    "stitch",
]
