"""Synthesis for resource counts: yosys ``synth_xilinx`` (xc7) per layer and on the stitched
top, an analytic FINN-R style estimate beside it, board budgets and the fit check
(docs/synth.md)."""

from qsim.synth.boards import BOARDS, Board, board
from qsim.synth.counts import RESOURCES, Resources
from qsim.synth.estimate import estimate
from qsim.synth.fit import FitResult, estimate_refusal, excess, fit
from qsim.synth.resources import ResourceReport, measure
from qsim.synth.synth import SynthResult, Unit, layer_unit, stitched_unit, synthesize

__all__ = ["BOARDS", "RESOURCES", "Board", "FitResult", "ResourceReport", "Resources",
           "SynthResult", "Unit", "board", "estimate", "estimate_refusal", "excess", "fit",
           "layer_unit", "measure", "stitched_unit", "synthesize"]
