"""The built-in levels: model (Python), ref (ONNX reference), cppsim (g++ HLS)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .levels import (
    Context,
    LayerRun,
    Level,
    LevelResult,
    Progress,
    layer_inputs,
    register,
)


def _frames(block: Any, x: np.ndarray) -> int:
    return int(block.frames_of(x))


@register
class ModelLevel(Level):
    """The bit-exact Python model and its cycle model (stall-free figures per layer)."""

    name = "model"
    description = "Python bit-exact model + cycle model"
    has_cycles = True

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray],
             ctx: "Context", progress: Progress) -> LevelResult:
        res = LevelResult(self.name)
        n = x.shape[0]
        outs: dict[str, np.ndarray] = {"input": np.asarray(x)}
        for layer in design.layers:  # the pivot feeds itself, in topological order
            if progress:
                progress(layer.name)
            xin = [outs[src].reshape((n,) + tuple(layer.in_shape)) for src in layer.inputs]
            y = layer.block(*xin)
            outs[layer.name] = y
            cycles = None
            if hasattr(layer.block, "stall_free"):
                cycles = layer.block.stall_free().cycles(_frames(layer.block, xin[0]))
            res.layers[layer.name] = LayerRun(y.reshape((n,) + layer.out_shape), cycles=cycles)
        return res


@register
class CppsimLevel(Level):
    """Generated HLS C++ compiled with g++ against ap_int, run through ctypes."""

    name = "cppsim"
    description = "HLS C++ (g++ cppsim)"

    def unavailable(self) -> Optional[str]:
        from qsim.errors import ToolchainError

        try:
            from qsim.cppsim.build import ap_types_dir, find_compiler

            find_compiler()
            ap_types_dir()
        except (ToolchainError, ImportError) as exc:
            return str(exc)
        return None

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray],
             ctx: "Context", progress: Progress) -> LevelResult:
        import time

        from qsim.cppsim.runner import block_libraries

        res = LevelResult(self.name)
        todo = []
        for layer, xin in layer_inputs(design, x, expected):
            if not hasattr(layer.block, "stall_free"):  # LabelSelect: no HLS kernel (yet)
                res.notes.append(f"layer {layer.name!r}: no HLS kernel for "
                                 f"{type(layer.block).__name__}; not run")
                continue
            todo.append((layer, xin))
        if progress:
            progress(f"compiling {len(todo)} layers, 2 at a time")
        t0 = time.perf_counter()
        # weights and thresholds are passed at run time: one compile per shape and type
        libs, builds = block_libraries([la.block for la, _ in todo], jobs=2)
        compiled = len({b.key for b in builds if not b.cached})
        res.notes.append(f"{len(todo)} layers, {len({b.key for b in builds})} kernels: "
                         f"{compiled} compiled, the rest cached "
                         f"({time.perf_counter() - t0:.1f} s)")
        for (layer, xin), lib in zip(todo, libs):
            if progress:
                progress(layer.name)
            y, trips = lib.run("top", layer.block, *xin)
            res.layers[layer.name] = LayerRun(
                np.asarray(y).reshape((x.shape[0],) + layer.out_shape), trip_count=int(trips))
        return res


@register
class ReferenceLevel(Level):
    """The source ONNX model run by onnxruntime / qonnx, brought to the integer domain."""

    name = "ref"
    description = "ONNX reference (onnxruntime / qonnx execute_onnx)"
    node_by_node = False

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray],
             ctx: "Context", progress: Progress) -> LevelResult:
        from qsim.frontend.reference import Reference

        res = LevelResult(self.name)
        if ctx.source is None:
            res.notes.append("no source model given: nothing to compare")
            return res
        if progress:
            progress("source model")
        xs = design.input_to_source(x)
        named = [la for la in design.layers[:-1] if getattr(la, "source", "")]
        last = design.layers[-1]
        # exports often fix the batch to 1 (Reshape to (1, ...)): run one sample at a time
        outs, boundaries = [], {la.name: [] for la in named}  # type: ignore[var-annotated]
        ref = Reference(ctx.source)  # opened once, run per sample
        for i in range(xs.shape[0]):
            if named:
                tensors = ref(xs[i:i + 1], all_tensors=True)
                outs.append(tensors[ref.output_name])
                for la in named:
                    if la.source in tensors:
                        boundaries[la.name].append(tensors[la.source])
            else:
                outs.append(ref(xs[i:i + 1]))
        for la in named:
            if boundaries[la.name]:
                y = design.output_to_int(np.concatenate(boundaries[la.name]), layer=la.name)
                res.layers[la.name] = LayerRun(y.reshape((x.shape[0],) + la.out_shape))
        y = design.output_to_int(np.concatenate(outs))
        res.layers[last.name] = LayerRun(y.reshape((x.shape[0],) + last.out_shape))
        res.notes.append(f"reference exposes {len(res.layers)} of {len(design.layers)} layer "
                         f"boundaries")
        return res


@register
class RtlsimLevel(Level):
    """The SV cores under Verilator, node by node, all layers in one bench.

    Every layer's output words, input accept cycles, output transfer cycles and the protocol
    are checked against the block models. By default the bench (every layer's top side by side
    in one Verilator model) runs stall-free ("none") under the native C++ harness
    (:mod:`qsim.rtlsim.native_bench`): bulk vectors at C++ speed. With ``Context.sweep`` the
    same bench runs the full valid/ready pattern sweep under cocotb, with SV assertions."""

    name = "rtlsim"
    description = "SystemVerilog under Verilator (node by node; native harness, cocotb sweep)"
    has_cycles = True

    def unavailable(self) -> Optional[str]:
        from qsim._toolchain import apply_verilator_env, find_cxx
        from qsim.errors import ToolchainError

        try:
            find_cxx()
            apply_verilator_env()
        except ToolchainError as exc:
            return str(exc)
        return None

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray],
             ctx: "Context", progress: Progress) -> LevelResult:
        res = LevelResult(self.name)
        layers, inputs = [], []
        for layer, xin in layer_inputs(design, x, expected):
            if not hasattr(layer.block, "stall_free"):
                res.notes.append(f"layer {layer.name!r}: no RTL core for "
                                 f"{type(layer.block).__name__}; not run")
                continue
            layers.append(layer)
            inputs.append([v.reshape((-1,) + tuple(layer.block.in_frame_shape)) for v in xin])
        if ctx.sweep:
            return self._sweep(res, layers, inputs, x.shape[0], ctx, progress)
        from qsim.rtlsim.native_layers import run_layers_native

        if progress:
            progress(f"{len(layers)} cores in one bench (native harness)")
        outs = [expected[la.name] if la.name in expected else None for la in layers]
        run = run_layers_native([la.block for la in layers], inputs,
                                None if any(o is None for o in outs) else outs)
        res.notes.append(f"native harness, stall-free; {run.cycles} cycles simulated in "
                         f"{run.sim_seconds:.2f} s (build {run.build.build_seconds:.1f} s)")
        for k, layer in enumerate(layers):
            res.layers[layer.name] = LayerRun(
                run.outputs[k][0].reshape((x.shape[0],) + tuple(layer.out_shape)),
                transfer=run.transfer[k][0])
        owner = {la.block.owner: la.name for la in layers}
        for problem in run.problems:
            name = next((ln for o, ln in owner.items() if problem.startswith(o)), "(bench)")
            res.problems.append((name, problem))
        return res

    def _sweep(self, res: LevelResult, layers: list[Any], inputs: list[list[np.ndarray]],
               n: int, ctx: "Context", progress: Progress) -> LevelResult:
        """The full valid/ready pattern sweep on the same bench under cocotb."""
        from qsim.rtlsim.check import run_rtl
        from qsim.rtlsim.patterns import DEFAULT_PATTERNS

        cfgs = [la.block for la in layers]
        if progress:
            progress(f"{len(cfgs)} cores in one bench (cocotb sweep)")
        run = run_rtl(cfgs, [v if len(v) > 1 else v[0] for v in inputs],
                      patterns=DEFAULT_PATTERNS, seed=ctx.seed)
        res.notes.append(f"cocotb; patterns: {', '.join(p.name for p in DEFAULT_PATTERNS)}; "
                         f"{run.report.cycles} cycles simulated")
        for k, layer in enumerate(layers):
            first = inputs[k][0]
            n_expect = layer.block.out_words * layer.block.frames_of(first)
            if len(run.words[k]) != n_expect:
                res.problems.append((layer.name, f"{len(run.words[k])} output words, expected "
                                                 f"{n_expect}"))
                continue
            y = layer.block.unpack_output(run.words[k])
            res.layers[layer.name] = LayerRun(
                y.reshape((n,) + tuple(layer.out_shape)),
                transfer=np.asarray(run.transfer[k]), waveform=run.waveform)
        owner = {la.block.owner: la.name for la in layers}
        for problem in run.problems:
            name = next((ln for o, ln in owner.items() if problem.startswith(o)), "(bench)")
            res.problems.append((name, problem))
        res.waveform = run.waveform
        return res
