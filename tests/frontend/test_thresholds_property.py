"""Property: for random integer MatMul -> per-channel Mul/Add (negative scales included) ->
optional Relu -> QONNX Quant graphs, the imported Design (integer thresholds) equals the qonnx
reference exactly on random inputs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper

from qsim.frontend import load, reference
from tests.frontend._helpers import QONNX, make_model


@st.composite
def graphs(draw: st.DrawFn) -> dict:
    mw = draw(st.integers(1, 12))
    mh = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    return {"mw": mw, "mh": mh, "seed": seed,
            "ibits": draw(st.integers(2, 6)), "wbits": draw(st.integers(2, 4)),
            "obits": draw(st.integers(1, 4)), "signed": draw(st.booleans()),
            "narrow": draw(st.booleans()), "relu": draw(st.booleans()),
            "mode": draw(st.sampled_from(["ROUND", "CEIL", "FLOOR", "HALF_UP"])),
            "scale": draw(st.sampled_from([0.5, 1.0, 0.3, 2.0 ** -3]))}


def _model(p: dict):
    rng = np.random.default_rng(p["seed"])
    wmax = 2 ** (p["wbits"] - 1)
    w = rng.integers(-wmax, wmax, size=(p["mw"], p["mh"]))
    mul = rng.choice([-1.0, 1.0], size=p["mh"]) * rng.uniform(0.05, 2.0, size=p["mh"])
    add = rng.uniform(-3, 3, size=p["mh"])
    bits = p["obits"] + (1 if p["obits"] == 1 and not p["signed"] else 0)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["acc"], name="mm"),
             helper.make_node("Mul", ["acc", "m"], ["accm"], name="mul"),
             helper.make_node("Add", ["accm", "a"], ["pre"], name="add")]
    last = "pre"
    if p["relu"]:
        nodes.append(helper.make_node("Relu", ["pre"], ["r"], name="relu"))
        last = "r"
    nodes.append(helper.make_node("Quant", [last, "s", "z", "b"], ["y"], name="q", domain=QONNX,
                                  signed=int(p["signed"]), narrow=int(p["narrow"]),
                                  rounding_mode=p["mode"]))
    inits = {"W": w, "m": mul.astype(np.float32), "a": add.astype(np.float32),
             "s": np.float32(p["scale"]), "z": np.float32(0.0), "b": np.float32(bits)}
    return make_model(nodes, ("x", [1, p["mw"]]), ("y", [1, p["mh"]]), inits,
                      {"x": f"INT{p['ibits']}", "W": f"INT{p['wbits']}"})


@settings(max_examples=20)
@given(graphs())
def test_thresholds_match_reference(p: dict) -> None:
    mw = _model(p)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        mw.save(str(path))
        design = load(path)
        lo, hi = -(2 ** (p["ibits"] - 1)), 2 ** (p["ibits"] - 1) - 1
        x = np.random.default_rng(p["seed"] + 1).integers(lo, hi + 1, size=(200, p["mw"]))
        y = reference(path, x.astype(np.float32))
    np.testing.assert_array_equal(design.output_to_int(y), design(x))
