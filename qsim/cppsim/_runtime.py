"""Run-time weights and thresholds: one compiled kernel per shape and type, not per weight set.

In run-time mode (``generate_source(blocks, runtime=True)``) the generated top function of an
MVTU or Thresholding takes its parameters from memory, as FINN's "decoupled"/external mem_mode
does: ``weights_mem`` (PE*NF*SF packed tiles, ``[p*TILES + tile]``), ``thresholds_mem``
(PE*NF*S values, ``[(p*NF + nf)*S + s]``) and ``act_val``; it copies them into the kernel's
on-chip arrays (``qsim::load_weights``, ``qsim::load_thresholds``) before the stream loop. The
kernel templates keep every shape fixed at compile time. The cppsim entry point receives the
same data as one uint64 array built by :func:`pack_params`: the weight words as limbs, then
the thresholds and ``act_val`` as int64.

So that the generated source depends only on shapes and types, never on values, the
accumulator and threshold types come from the datatypes, not from the weights:

* accumulator: every value ``MW`` products of the input and weight types can sum to (XNOR:
  ``[0, MW]``), which holds the exact range of any weight set;
* thresholds: the type of ``[lo, hi + 1]`` for the value range ``[lo, hi]`` compared against
  them (accumulator or input type); thresholds are clamped into it when packed. This is exact:
  for every ``x`` in ``[lo, hi]``, ``x >= t`` equals ``x >= clamp(t, lo, hi + 1)``.

When the type-derived range needs more than 64 bits, the value-derived types of the config
are used instead (and a new weight set may then recompile).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import numpy.typing as npt

from qsim.cppsim._cxx import ap_type, codec, template
from qsim.cppsim._kernel import Kernel
from qsim.errors import ConfigError
from qsim.models import MVTU, Thresholding
from qsim.models._block import smallest_int_type
from qsim.models._dtypes import DType
from qsim.models._stream import StreamFormat

__all__ = ["ParamLayout", "layout_of", "pack_params", "runtime_kernel"]

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class ParamLayout:
    """The run-time parameters of one block and the value-independent types they need.

    ``weight_bits``/``weight_words``: packed weight tile width and count (0 without weights);
    ``thr_count``: PE*NF*S thresholds (0 without); ``clamp``: the [lo, hi + 1] range the
    thresholds are clamped into (None: not clamped); ``acc``: the accumulator DType (MVTU);
    ``tdt``: the threshold DType.
    """

    weight_bits: int
    weight_words: int
    thr_count: int
    clamp: Optional[tuple[int, int]]
    acc: Optional[DType]
    tdt: Optional[DType]

    @property
    def weight_limbs(self) -> int:
        return (self.weight_bits + 63) // 64 if self.weight_bits else 0

    @property
    def n_params(self) -> int:
        """uint64 values in the params array: weight limbs, thresholds and act_val."""
        thr = self.thr_count + 1 if self.tdt is not None else 0
        return self.weight_words * self.weight_limbs + thr


def _type_range(cfg: MVTU) -> tuple[int, int]:
    """Accumulator range from the types alone: MW times the extreme products."""
    if cfg.binary_xnor:
        return 0, int(cfg.mw)
    xs = (int(cfg.idt.min()), int(cfg.idt.max()))
    ws = (int(cfg.wdt.min()), int(cfg.wdt.max()))
    prods = [a * b for a in xs for b in ws]
    return int(cfg.mw) * min(prods), int(cfg.mw) * max(prods)


def layout_of(cfg: Union[MVTU, Thresholding]) -> ParamLayout:
    """The run-time parameter layout of an MVTU or Thresholding config."""
    if isinstance(cfg, MVTU):
        wbits, words = int(cfg.simd) * int(cfg.wdt.bitwidth()), int(cfg.pe * cfg.nf * cfg.sf)
        lo, hi = _type_range(cfg)
    else:
        wbits, words = 0, 0
        lo, hi = int(cfg.idt.min()), int(cfg.idt.max())
    count = 0 if cfg.thresholds is None else int(cfg.thresholds.size)
    try:
        acc = smallest_int_type(lo, hi) if isinstance(cfg, MVTU) else None
        tdt = None if cfg.thresholds is None else smallest_int_type(lo, hi + 1)
        clamp: Optional[tuple[int, int]] = (lo, hi + 1)
    except ConfigError:  # beyond 64 bits: the config's own (value-derived) types
        acc = cfg.acc_dt if isinstance(cfg, MVTU) else None
        tdt, clamp = cfg.tdt, None
    return ParamLayout(wbits, words, count, clamp, acc, tdt)


def pack_params(cfg: Union[MVTU, Thresholding]) -> npt.NDArray[np.uint64]:
    """The params array the run-time entry point of ``cfg`` takes (see the module doc)."""
    lay = layout_of(cfg)
    parts: list[npt.NDArray[np.uint64]] = []
    if isinstance(cfg, MVTU):
        wfmt = StreamFormat(cfg.wdt, cfg.simd, f"{cfg.owner} weights")
        words = wfmt.pack(cfg.weight_tiles())  # (PE, NF*SF, SIMD) -> PE*NF*SF words
        limbs = np.array([[(w >> (64 * i)) & _MASK64 for i in range(lay.weight_limbs)]
                          for w in words], dtype=np.uint64) if lay.weight_limbs > 1 \
            else np.array(words, dtype=np.uint64)
        parts.append(limbs.ravel())
    if lay.tdt is not None:
        tiles = np.asarray(cfg.threshold_tiles(), dtype=np.int64)  # (PE, NF, S)
        if lay.clamp is not None:
            tiles = np.clip(tiles, *lay.clamp)
        tail = np.append(tiles.ravel(), np.int64(cfg.act_val))
        parts.append(tail.astype(np.int64).view(np.uint64))
    out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    assert out.size == lay.n_params, (out.size, lay.n_params)
    return np.ascontiguousarray(out, dtype=np.uint64)


def _activation(sym: str, cfg: Union[MVTU, Thresholding], lay: ParamLayout) -> str:
    if lay.tdt is None:
        return (f"typedef {template('qsim::PassThrough', [codec(cfg.odt)])} {sym}_act_t;\n"
                f"static const {sym}_act_t {sym}_act = {{}};")
    act_t = template("qsim::Thresholds",
                     [cfg.pe, cfg.nf, cfg.n_thresholds, ap_type(lay.tdt), codec(cfg.odt)])
    return f"typedef {act_t} {sym}_act_t;"


def _thr_pieces(sym: str, lay: ParamLayout) -> dict[str, list[str]]:
    """Top parameters, pragmas, top statements, entry statements and arguments of thresholds."""
    if lay.tdt is None:
        return {"params": [], "pragmas": [], "top": [], "entry": [], "args": []}
    t = ap_type(lay.tdt)
    off = lay.weight_words * lay.weight_limbs
    return {
        "params": [f"const {t} thresholds_mem[{lay.thr_count}]", "int64_t act_val"],
        "pragmas": ["#pragma HLS INTERFACE mode = m_axi port = thresholds_mem offset = slave "
                    "bundle = gmem1",
                    "#pragma HLS INTERFACE mode = s_axilite port = act_val"],
        "top": [f"  static {sym}_act_t {sym}_act;",
                f"#pragma HLS ARRAY_PARTITION variable = {sym}_act.thr complete dim = 1",
                f"#pragma HLS ARRAY_PARTITION variable = {sym}_act.thr complete dim = 3",
                f"  qsim::load_thresholds(thresholds_mem, act_val, {sym}_act);"],
        "entry": [f"  std::vector<{t} > thresholds({lay.thr_count});",
                  "  for (uint64_t i = 0; i < thresholds.size(); i++) "
                  f"thresholds[i] = {t}(int64_t(params[{off} + i]));",
                  f"  const int64_t act_val = int64_t(params[{off + lay.thr_count}]);"],
        "args": ["thresholds.data()", "act_val"],
    }


def _label(cfg: Union[MVTU, Thresholding]) -> str:
    if isinstance(cfg, MVTU):
        return (f"MVTU {cfg.mw}x{cfg.mh} SIMD {cfg.simd} PE {cfg.pe} "
                f"{cfg.idt.get_canonical_name()} x {cfg.wdt.get_canonical_name()} -> "
                f"{cfg.odt.get_canonical_name()}")
    return (f"Thresholding C {cfg.channels} PE {cfg.pe} {cfg.idt.get_canonical_name()} -> "
            f"{cfg.odt.get_canonical_name()}")


def runtime_kernel(sym: str, cfg: Union[MVTU, Thresholding]) -> Kernel:
    """The kernel pieces of ``cfg`` with weights and thresholds passed at run time."""
    lay = layout_of(cfg)
    thr = _thr_pieces(sym, lay)
    if isinstance(cfg, Thresholding):
        args = [cfg.channels, cfg.pe, codec(cfg.idt), f"{sym}_act_t"]
        call = f"{template('qsim::thresholding', args)}(in, out, {sym}_act, reps);"
        return Kernel(cfg, "qsim/thresholding.hpp", (_activation(sym, cfg, lay),), call,
                      tuple(thr["pragmas"]), tuple(thr["params"]), tuple(thr["top"]),
                      tuple(thr["entry"]), tuple(thr["args"]), lay.n_params, _label(cfg))
    assert lay.acc is not None
    wb, tiles = lay.weight_bits, cfg.nf * cfg.sf
    w = [f"  static ap_uint<{wb}> {sym}_weights[{cfg.pe}][{tiles}];",
         f"#pragma HLS ARRAY_PARTITION variable = {sym}_weights complete dim = 1",
         f"  qsim::load_weights<{cfg.pe}, {tiles}>(weights_mem, {sym}_weights);"]
    entry = [f"  std::vector<ap_uint<{wb}> > weights({lay.weight_words});",
             "  for (uint64_t i = 0; i < weights.size(); i++) "
             f"weights[i] = qsim::cppsim::from_limbs<{wb}>(params + i * {lay.weight_limbs});"]
    args = [cfg.mw, cfg.mh, cfg.simd, cfg.pe, codec(cfg.idt), codec(cfg.wdt), ap_type(lay.acc),
            bool(cfg.binary_xnor), f"{sym}_act_t"]
    call = f"{template('qsim::mvtu', args)}(in, out, {sym}_weights, {sym}_act, reps);"
    return Kernel(cfg, "qsim/mvtu.hpp", (_activation(sym, cfg, lay),), call,
                  ("#pragma HLS INTERFACE mode = m_axi port = weights_mem offset = slave "
                   "bundle = gmem0", *thr["pragmas"]),
                  (f"const ap_uint<{wb}> weights_mem[{lay.weight_words}]", *thr["params"]),
                  (*w, *thr["top"]), (*entry, *thr["entry"]),
                  ("weights.data()", *thr["args"]), lay.n_params, _label(cfg))
