"""Malformed inputs for tests/verify/test_bad_inputs.py: model variants, foldings, input
arrays, fuzz failure folders and sign-off manifests, each written once into one folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qsim.models import MVTU

from ._models import tiny_mlp

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tfc_w2a2_digits.onnx"


def _variant(src: Path, dst: Path, edit: Callable[[onnx.ModelProto], None]) -> str:
    model = onnx.load(str(src))
    edit(model)
    onnx.save(model, str(dst))
    return str(dst)


def _set_init(name: str, fn: Callable[[np.ndarray], None]) -> Callable[[onnx.ModelProto], None]:
    def edit(model: onnx.ModelProto) -> None:
        for k, init in enumerate(model.graph.initializer):
            if init.name == name:
                arr = numpy_helper.to_array(init).copy()
                fn(arr)
                model.graph.initializer[k].CopyFrom(numpy_helper.from_array(arr, name))
    return edit


def _opset(v: int) -> Callable[[onnx.ModelProto], None]:
    def edit(model: onnx.ModelProto) -> None:
        for o in model.opset_import:
            if o.domain in ("", "ai.onnx"):
                o.version = v
    return edit


def _ir(v: int) -> Callable[[onnx.ModelProto], None]:
    def edit(model: onnx.ModelProto) -> None:
        model.ir_version = v
    return edit


def _symbolic(first_only: bool) -> Callable[[onnx.ModelProto], None]:
    def edit(model: onnx.ModelProto) -> None:
        del model.graph.value_info[:]
        for vi in (*model.graph.input, *model.graph.output):
            dims = vi.type.tensor_type.shape.dim
            for d in dims[:1] if first_only else dims:
                d.dim_param = "N"
    return edit


def _int32_model(path: Path) -> str:
    """One INT32 x INT32 MatMul whose accumulator bound exceeds int64."""
    w = np.full((16, 4), -2.0 ** 31, dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W0"], ["y"], name="MatMul_0")], "wide",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        initializer=[numpy_helper.from_array(w, "W0")])
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    model.set_tensor_datatype("x", DataType["INT32"])
    model.set_tensor_datatype("W0", DataType["INT32"])
    model.save(str(path))
    return str(path)


def _softmax_model(path: Path) -> str:
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["y"], name="Softmax_0")], "soft",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return str(path)


def _nan_constant_node(model: onnx.ModelProto) -> None:
    """Move T0 into a Constant node and put a NaN in it."""
    k = next(i for i, t in enumerate(model.graph.initializer) if t.name == "T0")
    arr = numpy_helper.to_array(model.graph.initializer[k]).copy()
    arr[1, 1] = np.nan
    del model.graph.initializer[k]
    model.graph.node.insert(0, helper.make_node("Constant", [], ["T0"], name="Const_T0",
                                                value=numpy_helper.from_array(arr, "T0")))


def models(d: Path) -> dict[str, str]:
    tiny = tiny_mlp(d / "tiny.onnx")
    out = {"tiny": str(tiny), "dir": str(d), "missing": str(d / "nope.onnx")}
    (d / "corrupt.onnx").write_bytes(b"this is not a protobuf")
    (d / "empty.onnx").write_bytes(b"")
    out.update(corrupt=str(d / "corrupt.onnx"), empty=str(d / "empty.onnx"))
    out["op99"] = _variant(tiny, d / "op99.onnx", _opset(99))
    out["ir99"] = _variant(tiny, d / "ir99.onnx", _ir(99))
    out["ir2"] = _variant(tiny, d / "ir2.onnx", _ir(2))
    out["nan_w"] = _variant(tiny, d / "nan_w.onnx", _set_init("W0", lambda a: a.__setitem__(
        (3, 1), np.nan)))
    out["inf_t"] = _variant(tiny, d / "inf_t.onnx", _set_init("T0", lambda a: a.__setitem__(
        (2, 0), np.inf)))
    out["nan_t"] = _variant(tiny, d / "nan_t.onnx", _set_init("T0", lambda a: a.__setitem__(
        (0, 2), np.nan)))
    two = onnx.load(str(tiny))
    two.graph.input.append(helper.make_tensor_value_info("x2", TensorProto.FLOAT, [1, 16]))
    onnx.save(two, str(d / "two_in.onnx"))
    out["two_in"] = str(d / "two_in.onnx")
    out["nan_const"] = _variant(tiny, d / "nan_const.onnx", _nan_constant_node)
    out["sym_batch"] = _variant(tiny, d / "sym_batch.onnx", _symbolic(True))
    out["sym_all"] = _variant(tiny, d / "sym_all.onnx", _symbolic(False))
    out["int32"] = _int32_model(d / "int32.onnx")
    out["softmax"] = _softmax_model(d / "softmax.onnx")
    out["tfc_op7"] = _variant(EXAMPLE, d / "tfc_op7.onnx", _opset(7))
    out["tfc_negvar"] = _variant(EXAMPLE, d / "tfc_negvar.onnx", _set_init(
        "6.running_var", lambda a: a.__setitem__(5, -1.0)))
    out["tfc_nanmean"] = _variant(EXAMPLE, d / "tfc_nanmean.onnx", _set_init(
        "3.running_mean", lambda a: a.__setitem__(0, np.nan)))
    return out


def foldings(d: Path) -> dict[str, str]:
    specs: dict[str, Any] = {
        "fold_ok": {"Defaults": {}, "MVAU_0": {"PE": 2, "SIMD": 4}},
        "fold_list": [{"MVAU_0": {"PE": 2}}],
        "fold_unknown": {"Defaults": {}, "MVAU_7": {"PE": 2}},
        "fold_pe3": {"MVAU_0": {"PE": 3}},
        "fold_pe0": {"MVAU_0": {"PE": 0}},
        "fold_def_str": {"Defaults": {"PE": "four"}},
        "fold_def_neg": {"Defaults": {"SIMD": [-2, ["all"]]}},
        "fold_def_list": {"Defaults": [1, 2]},
        "fold_entry": {"MVAU_0": 4},
        "fold_attr": {"MVAU_0": {"PE": 2, "Colour": "red"}},
        "fold_fifo": {"MVAU_0": {"inFIFODepths": [-4]}},
        "fold_pe_float": {"MVAU_0": {"PE": 2.0}},
    }
    out = {}
    for key, spec in specs.items():
        (d / f"{key}.json").write_text(json.dumps(spec))
        out[key] = str(d / f"{key}.json")
    (d / "fold_text.json").write_text("{PE: 2,")
    out["fold_text"] = str(d / "fold_text.json")
    return out


def inputs(d: Path) -> dict[str, str]:
    arrays = {"x_shape": np.zeros((2, 15), np.int64), "x_empty": np.zeros((0, 16), np.int64),
              "x_range": np.full((2, 16), 100, np.int64), "x_half": np.full((1, 16), 0.5),
              "x_nan": np.where(np.arange(32).reshape(2, 16) == 21, np.nan, 1.0)}
    out = {}
    for key, arr in arrays.items():
        np.save(d / f"{key}.npy", arr)
        out[key] = str(d / f"{key}.npy")
    np.savez(d / "x.npz", a=np.zeros((1, 16)), b=np.zeros((1, 16)))
    np.save(d / "x_obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (d / "x_text.npy").write_text("1 2 3\n")
    out.update(x_npz=str(d / "x.npz"), x_obj=str(d / "x_obj.npy"), x_text=str(d / "x_text.npy"))
    return out


def failures(d: Path) -> dict[str, str]:
    """Fuzz failure folders: one good, the rest each broken in one file."""
    cfg = MVTU(mw=4, mh=2, pe=1, simd=1, idt="INT2", wdt="INT2", weights=np.ones((4, 2), int))
    good = {"block": "MVTU", "config": cfg.to_dict()}
    broken: dict[str, tuple[Any, Any, Any]] = {
        "rep_cfg_text": ("{not json", np.zeros((1, 4), np.int64), None),
        "rep_cfg_block": ({"block": "Nonsense", "config": {}}, np.zeros((1, 4), np.int64), None),
        "rep_cfg_field": ({"block": "MVTU", "config": {**good["config"], "pe": 3}},
                          np.zeros((1, 4), np.int64), None),
        "rep_x_shape": (good, np.zeros((1, 5), np.int64), None),
        "rep_x_range": (good, np.full((1, 4), 9, np.int64), None),
        "rep_x_missing": (good, None, None),
        "rep_ready": (good, np.zeros((1, 4), np.int64), np.ones((2, 2), bool)),
    }
    out = {}
    for key, (config, x, ready) in broken.items():
        f = d / key
        f.mkdir()
        (f / "config.json").write_text(config if isinstance(config, str) else
                                       json.dumps(config, default=int))
        if x is not None:
            np.save(f / "inputs.npy", x)
        if ready is not None:
            np.save(f / "ready.npy", ready)
        out[key] = str(f)
    return out


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifests(d: Path, model: str, folding: str) -> dict[str, str]:
    """Sign-off folders with hand-written manifests (none of them a real sign-off)."""
    from qsim.verify.signoff import REQUIRED_CHECKS

    names = [*REQUIRED_CHECKS, "lint MVAU_0",  # every check a complete sign-off writes
             "fits the pynq-z2 with 10% headroom"]
    full = {"model": model, "model_sha256": _sha(model), "folding": folding,
            "folding_sha256": _sha(folding), "pass": True,
            "checks": [{"name": n, "pass": True} for n in names],
            "files": {"report/report.json": "0" * 64, "report/report.html": "0" * 64,
                      "hls/top.cpp": "0" * 64, "rtl/a.sv": "0" * 64}}
    specs: dict[str, Any] = {
        "man_list": [full], "man_empty": {**full, "checks": [], "files": {}},
        "man_failed": {**full, "checks": [{**c, "pass": False} for c in full["checks"]]},
        "man_hash": full, "man_escape": {**full, "files": {**full["files"], "../x": "0"}},
        "man_nofiles": {**full, "files": {"rtl/a.sv": "0" * 64}},
    }
    out = {"man_none": str(d / "man_none")}
    (d / "man_none").mkdir()
    for key, spec in specs.items():
        (d / key).mkdir()
        (d / key / "manifest.json").write_text(json.dumps(spec))
        out[key] = str(d / key)
    (d / "man_text").mkdir()
    (d / "man_text" / "manifest.json").write_text("{\"pass\": tru")
    out["man_text"] = str(d / "man_text")
    return out
