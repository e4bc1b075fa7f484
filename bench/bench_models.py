"""Benchmark: throughput of qsim's bit-exact functional model on a CNV-w1a1-shaped stack.

Peers, measured in the same run on the same random network and images:
  * onnxruntime on an equivalent float NCHW graph (Conv/MatMul, threshold as GreaterOrEqual +
    Where, MaxPool), and
  * qonnx ``execute_onnx`` on an equivalent NHWC Im2Col/MatMul/MultiThreshold/MaxPoolNHWC graph.
Every peer's integer output is checked equal to the model's before any time is reported.

onnxruntime runs with all graph optimizations and 2 intra-op threads, on the same batch.
The bench prints the CPU's SIMD features and the matmul path the model chose for each MVTU
(docs/speed.md); the one-time path calibration happens in the untimed warm-up run.

Usage: ``python bench/bench_models.py [--images N] [--qonnx-images M] [--repeat R] [--runs K]``
(``--runs K`` repeats the whole comparison K times and prints the min/median/max ratios;
``--profile R`` prints each step's time instead, minimum of R runs).
Targets (issue 15, P1): model >= 3x onnxruntime, >= 100x qonnx.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qsim.models import MVTU, MaxPool, SlidingWindow
from qsim.models._calibrate import cpu_features
from qsim.models._packed import run_chain

# (out channels, PE, SIMD) of CNV-w1a1's six convolutions and three FC layers (FINN folding)
CONVS = [(64, 16, 3), (64, 32, 32), "pool", (128, 16, 32), (128, 16, 32), "pool",
         (256, 4, 32), (256, 1, 32)]
FCS = [(512, 1, 4), (512, 1, 8), (10, 5, 1)]


@dataclass
class Layer:
    kind: str  # "conv", "pool", "fc"
    blocks: list[Any]
    w: np.ndarray | None = None  # (MW, MH) im2col-order weights
    t_dot: np.ndarray | None = None  # thresholds on the +-1 dot-product scale, (MH,)


def build(seed: int = 0) -> list[Layer]:
    """Random CNV-w1a1-shaped network as qsim blocks (UINT8 input, BIPOLAR after)."""
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    h, c, idt = 32, 3, "UINT8"
    for spec in CONVS:
        if spec == "pool":
            layers.append(Layer("pool", [MaxPool(ifm_dim=h, channels=c, kernel=2, pe=c // 2,
                                                 idt=idt)]))
            h //= 2
            continue
        oc, pe, simd = spec  # type: ignore[misc]
        swg = SlidingWindow(ifm_dim=h, channels=c, kernel=3, simd=simd, idt=idt)
        layers.append(_mvtu_layer("conv", rng, 9 * c, oc, pe, simd, idt, [swg]))
        h, c, idt = h - 2, oc, "BIPOLAR"
    for i, (mh, pe, simd) in enumerate(FCS):
        layers.append(_mvtu_layer("fc", rng, c, mh, pe, simd, idt, [], last=i == len(FCS) - 1))
        c = mh
    return layers


def _mvtu_layer(kind: str, rng: np.random.Generator, mw: int, mh: int, pe: int, simd: int,
                idt: str, pre: list[Any], last: bool = False) -> Layer:
    w = rng.integers(0, 2, (mw, mh)) * 2 - 1
    xnor = idt == "BIPOLAR"
    if last:
        return Layer(kind, pre + [MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt="BIPOLAR",
                                       weights=w, binary_xnor=xnor)], w, None)
    if xnor:  # thresholds on the popcount scale; dot >= 2T - MW  <=>  popcount >= T
        t = rng.integers(mw // 2 - 4, mw // 2 + 5, (mh, 1))
        t_dot = 2 * t[:, 0] - mw
    else:
        t = rng.integers(-300, 300, (mh, 1))
        t_dot = t[:, 0]
    m = MVTU(mw=mw, mh=mh, pe=pe, simd=simd, idt=idt, wdt="BIPOLAR", odt="BIPOLAR", weights=w,
             thresholds=t, binary_xnor=xnor)
    return Layer(kind, pre + [m], w, t_dot)


def run_model(layers: list[Layer], x: np.ndarray,
              trace: list[str] | None = None) -> np.ndarray:
    """The stack on images x (N, 32, 32, 3) as qsim runs a chain of blocks
    (qsim/models/_packed.py: compact integer arrays between blocks, each block's odt the next
    one's idt, a SlidingWindow feeding an XNOR MVTU fused over packed pixels where measured
    faster); ``trace`` collects each MVTU's (or fused pair's) chosen path."""
    blocks = [block for layer in layers for block in layer.blocks]
    return run_chain(blocks, x, check=True, trace=trace).reshape(len(x), -1).astype(np.int64)


def _init(name: str, arr: np.ndarray, inits: list[onnx.TensorProto]) -> str:
    inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name))
    return name


def ort_graph(layers: list[Layer]) -> onnx.ModelProto:
    nodes, inits = [], []
    cur = "x"
    _init("one", np.array(1.0), inits)
    _init("mone", np.array(-1.0), inits)
    for i, layer in enumerate(layers):
        if layer.kind == "pool":
            nodes.append(helper.make_node("MaxPool", [cur], [f"p{i}"], kernel_shape=[2, 2],
                                          strides=[2, 2]))
            cur = f"p{i}"
            continue
        assert layer.w is not None
        mw, mh = layer.w.shape
        if layer.kind == "conv":
            c = mw // 9  # (KH*KW*C, OC) -> (OC, C, KH, KW)
            w4 = layer.w.reshape(3, 3, c, mh).transpose(3, 2, 0, 1)
            nodes.append(helper.make_node("Conv", [cur, _init(f"w{i}", w4, inits)], [f"a{i}"]))
            tshape: tuple[int, ...] = (1, mh, 1, 1)
        else:
            if i and layers[i - 1].kind == "conv":
                nodes.append(helper.make_node("Flatten", [cur], [f"f{i}"]))
                cur = f"f{i}"
            nodes.append(helper.make_node("MatMul", [cur, _init(f"w{i}", layer.w, inits)],
                                          [f"a{i}"]))
            tshape = (1, mh)
        cur = f"a{i}"
        if layer.t_dot is not None:
            t = _init(f"t{i}", layer.t_dot.reshape(tshape), inits)
            nodes.append(helper.make_node("GreaterOrEqual", [cur, t], [f"g{i}"]))
            nodes.append(helper.make_node("Where", [f"g{i}", "one", "mone"], [f"y{i}"]))
            cur = f"y{i}"
    graph = helper.make_graph(
        nodes, "cnv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3, 32, 32])],
        [helper.make_tensor_value_info(cur, TensorProto.FLOAT, [None, 10])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def qonnx_graph(layers: list[Layer]) -> ModelWrapper:
    """NHWC graph of QONNX custom ops for one image (qonnx's Im2Col mixes batched images)."""
    nodes, inits, dtypes = [], [], {"x": "UINT8"}
    shapes: dict[str, list[int]] = {}
    cur, h, c = "x", 32, 3
    dom = "qonnx.custom_op.general"
    for i, layer in enumerate(layers):
        if layer.kind == "pool":
            nodes.append(helper.make_node("MaxPoolNHWC", [cur], [f"p{i}"], domain=dom,
                                          kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0]))
            cur, h = f"p{i}", h // 2
            shapes[cur] = [1, h, h, c]
            dtypes[cur] = "BIPOLAR"
            continue
        assert layer.w is not None
        mw, mh = layer.w.shape
        if layer.kind == "conv":
            nodes.append(helper.make_node("Im2Col", [cur], [f"c{i}"], domain=dom, stride=[1, 1],
                                          kernel_size=[3, 3], input_shape=str((1, h, h, c))))
            cur, h = f"c{i}", h - 2
            shapes[cur] = [1, h, h, mw]
        elif i and layers[i - 1].kind == "conv":
            nodes.append(helper.make_node("Flatten", [cur], [f"f{i}"]))
            cur = f"f{i}"
            shapes[cur] = [1, c]
        nodes.append(helper.make_node("MatMul", [cur, _init(f"w{i}", layer.w, inits)],
                                      [f"a{i}"]))
        shapes[f"a{i}"] = shapes[cur][:-1] + [mh]
        cur, c = f"a{i}", mh
        if layer.t_dot is not None:
            t = _init(f"t{i}", layer.t_dot.reshape(mh, 1), inits)
            nodes.append(helper.make_node("MultiThreshold", [cur, t], [f"y{i}"], domain=dom,
                                          out_dtype="BIPOLAR", out_scale=2.0, out_bias=-1.0,
                                          data_layout="NHWC" if layer.kind == "conv" else "NC"))
            shapes[f"y{i}"] = shapes[cur]
            cur = f"y{i}"
            dtypes[cur] = "BIPOLAR"
    graph = helper.make_graph(
        nodes, "cnv_qonnx",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 32, 3])],
        [helper.make_tensor_value_info(cur, TensorProto.FLOAT, [1, 10])], initializer=inits,
        value_info=[helper.make_tensor_value_info(n, TensorProto.FLOAT, shp)
                    for n, shp in shapes.items() if n != cur])
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    for name, dt in dtypes.items():
        model.set_tensor_datatype(name, DataType[dt])
    return model


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs after one warm-up run (page faults, thread pools)."""
    out = fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def ort_session(layers: list[Layer]) -> ort.InferenceSession:
    """onnxruntime with every graph optimization and 2 intra-op threads."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 2
    return ort.InferenceSession(ort_graph(layers).SerializeToString(), sess_options=opts,
                                providers=["CPUExecutionProvider"])


def compare(layers: list[Layer], x: np.ndarray, nq: int, repeat: int) -> dict[str, float]:
    """Images/s of the model, onnxruntime and qonnx in one run, outputs checked equal first."""
    t_model, y_model = best_of(lambda: run_model(layers, x), repeat)
    sess = ort_session(layers)
    x_nchw = x.transpose(0, 3, 1, 2).astype(np.float32)  # (N, H, W, C) -> (N, C, H, W)
    t_ort, y_ort = best_of(lambda: sess.run(None, {"x": x_nchw})[0], repeat)
    # the last MVTU runs in XNOR mode: popcount = (dot + MW) / 2, the float graphs give dot
    y_dot = 2 * y_model - layers[-1].blocks[-1].mw
    if not np.array_equal(np.rint(y_ort).astype(np.int64), y_dot):
        raise SystemExit("onnxruntime output differs from the model: the graphs are not "
                         "equivalent")
    qm = qonnx_graph(layers)

    def run_qonnx() -> np.ndarray:
        return np.concatenate([execute_onnx(qm, {"x": x[i:i + 1].astype(np.float32)})[
            qm.graph.output[0].name] for i in range(nq)])

    t_q, y_q = best_of(run_qonnx, 1)  # slow: one timed run after the warm-up
    if not np.array_equal(np.rint(y_q).astype(np.int64), y_dot[:nq]):
        raise SystemExit("qonnx output differs from the model: the graphs are not equivalent")
    return {"model": len(x) / t_model, "onnxruntime": len(x) / t_ort, "qonnx": nq / t_q}


def profile(layers: list[Layer], x: np.ndarray, runs: int) -> None:
    """Minimum wall time of each step of the chain (block, or fused pair) over ``runs`` runs."""
    blocks = [block for layer in layers for block in layer.blocks]
    best: dict[str, float] = {}
    totals = []
    for _ in range(runs + 1):  # the first run warms up
        times: dict[str, float] = {}
        t0 = time.perf_counter()
        run_chain(blocks, x, times=times)
        totals.append(time.perf_counter() - t0)
        for label, sec in times.items():
            best[label] = min(best.get(label, sec), sec)
    print(f"profile, {len(x)} images, minimum of {runs} runs per step (ms):")
    for label, sec in best.items():
        print(f"  {label:<28} {1e3 * sec:8.2f}")
    print(f"  {'sum of step minima':<28} {1e3 * sum(best.values()):8.2f}; whole chain min "
          f"{1e3 * min(totals[1:]):.2f}")


def _spread(values: list[float]) -> str:
    return f"min {min(values):.2f} / median {float(np.median(values)):.2f} / max {max(values):.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--qonnx-images", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1, help="repeat the whole comparison")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--profile", type=int, default=0, metavar="RUNS",
                    help="print the time of every step (minimum of RUNS runs) and stop")
    args = ap.parse_args(argv)
    feats = cpu_features()
    print(f"CPU: {feats['model']}, {feats['cores']} cores, VNNI: {feats['vnni']}; SIMD: "
          f"{' '.join(feats['simd'])}")  # type: ignore[arg-type]
    if feats["isa_limits"]:  # an older CPU emulated: the kernels use fewer instructions
        print(f"instruction sets limited by: {feats['isa_limits']}")
    layers = build()
    x = np.random.default_rng(1).integers(0, 256, (args.images, 32, 32, 3))
    t0 = time.perf_counter()
    trace: list[str] = []
    run_model(layers, x, trace)  # first call: path calibration (cached per machine)
    print(f"matmul paths (first run incl. calibration {time.perf_counter() - t0:.2f} s):")
    for line in trace:
        print(f"  {line}")
    if args.profile:
        profile(layers, x, args.profile)
        return 0
    runs = [compare(layers, x, args.qonnx_images, args.repeat) for _ in range(args.runs)]
    ratios = {"model_vs_onnxruntime": [r["model"] / r["onnxruntime"] for r in runs],
              "model_vs_qonnx": [r["model"] / r["qonnx"] for r in runs]}
    print(f"CNV-w1a1-shaped stack, {args.images} images (qonnx: {args.qonnx_images}), best of "
          f"{args.repeat}, {args.runs} run(s)")
    for i, r in enumerate(runs):
        print(f"  run {i + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in r.items()) +
              " images/s")
    print(f"  model / onnxruntime: {_spread(ratios['model_vs_onnxruntime'])} (target >= 3x)")
    print(f"  model / qonnx:       {_spread(ratios['model_vs_qonnx'])} (target >= 100x)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"images": args.images, "qonnx_images": args.qonnx_images, "cpu": feats,
                       "paths": trace, "runs": runs, **ratios}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
