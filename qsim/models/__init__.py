"""Bit-exact, cycle-accurate Python models of qsim's blocks (DESIGN.md sections 4 and 5)."""

from qsim.models._block import StallFree
from qsim.models._schedule import CycleTrace, Schedule, simulate
from qsim.models._stream import StreamFormat
from qsim.models.add_streams import AddStreams
from qsim.models.duplicate_streams import DuplicateStreams
from qsim.models.fmpadding import FMPadding
from qsim.models.global_acc_pool import GlobalAccPool
from qsim.models.label_select import LabelSelect
from qsim.models.maxpool import MaxPool
from qsim.models.mvtu import MVTU
from qsim.models.sliding_window import SlidingWindow
from qsim.models.thresholding import Thresholding

__all__ = [
    "MVTU",
    "AddStreams",
    "CycleTrace",
    "DuplicateStreams",
    "FMPadding",
    "GlobalAccPool",
    "LabelSelect",
    "MaxPool",
    "Schedule",
    "SlidingWindow",
    "StallFree",
    "StreamFormat",
    "Thresholding",
    "simulate",
]
