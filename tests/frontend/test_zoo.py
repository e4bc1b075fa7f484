"""Every zoo net x variant: Brevitas QONNX export -> load (default folding) -> the Design equals
the reference exactly as integers (output and every layer boundary the graph exposes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from qsim.frontend import load
from qsim.frontend._export import to_dataflow_onnx
from qsim.frontend.reference import export
from qsim.models import MVTU
from qsim.zoo import INPUT_SHAPES, MVAU_FOLDS, VARIANTS, build, default_folding
from tests.frontend._helpers import assert_matches_reference, random_input

BATCH = {"tfc": 8, "qenet": 3, "cnv": 2}
_CACHE: dict[tuple[str, str, str], Path] = {}


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zoo")


def _exported(export_dir: Path, net: str, variant: str, fmt: str = "qonnx") -> Path:
    key = (net, variant, fmt)
    if key not in _CACHE:
        path = export_dir / f"{net}_{variant}_{fmt}.onnx"
        used = export(build(net, variant), torch.zeros(1, *INPUT_SHAPES[net]), path, fmt=fmt)
        assert used == fmt
        _CACHE[key] = path
    return _CACHE[key]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("net", ["tfc", "qenet", "cnv"])
def test_zoo_matches_reference(export_dir: Path, net: str, variant: str) -> None:
    path = _exported(export_dir, net, variant)
    design = load(path, folding=default_folding(net))
    mvtus = [la.block for la in design.layers if isinstance(la.block, MVTU)]
    assert [(b.pe, b.simd) for b in mvtus] == MVAU_FOLDS[net]
    x = random_input(design, BATCH[net], seed=1)
    assert_matches_reference(design, path, x, layers=True)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("net", ["tfc", "qenet"])
def test_zoo_matches_torch(export_dir: Path, net: str, variant: str) -> None:
    """The torch model agrees too (integer domain)."""
    model = build(net, variant)
    design = load(_exported(export_dir, net, variant))
    x = random_input(design, 16, seed=2)
    with torch.no_grad():
        y = model(torch.as_tensor(design.input_to_source(x)))
    y = y.value if hasattr(y, "value") else y
    np.testing.assert_array_equal(design.output_to_int(y.numpy()), design(x))


@pytest.mark.parametrize(("net", "variant"), [("tfc", "w2a2"), ("tfc", "w4a4"),
                                              ("qenet", "w4a4")])
def test_qcdq_reference(export_dir: Path, net: str, variant: str) -> None:
    """The QCDQ export run by onnxruntime equals the Design loaded from the QONNX export."""
    design = load(_exported(export_dir, net, variant))
    assert_matches_reference(design, _exported(export_dir, net, variant, "qcdq"),
                             random_input(design, 8, seed=3))


def test_binary_has_no_qcdq(tmp_path: Path) -> None:
    """Brevitas cannot export binary quantizers as QCDQ; "auto" falls back to QONNX."""
    used = export(build("tfc", "w1a1"), torch.zeros(1, 1, 28, 28), tmp_path / "m.onnx")
    assert used == "qonnx"


def test_dynamo_export_imports(tmp_path: Path) -> None:
    """The torch.export (dynamo) graph imports to the same design as the TorchScript one."""
    model = build("tfc", "w1a2")
    path = tmp_path / "dyn.onnx"
    export(model, torch.zeros(1, 1, 28, 28), path, fmt="qonnx", dynamo=True)
    design = load(path)
    assert_matches_reference(design, path, random_input(design, 4))


def test_binary_layers_use_xnor(export_dir: Path) -> None:
    design = load(_exported(export_dir, "tfc", "w1a1"))
    kinds = [(la.block.binary_xnor, la.block.idt.get_canonical_name()) for la in design.layers]
    assert kinds == [(False, "INT8"), (True, "BIPOLAR"), (True, "BIPOLAR"), (True, "BIPOLAR")]


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("net", ["cnv", "qenet"])
def test_zoo_matches_reference_large_batch(export_dir: Path, net: str, variant: str) -> None:
    path = _exported(export_dir, net, variant)
    design = load(path, folding=default_folding(net))
    assert_matches_reference(design, path, random_input(design, 16, seed=4))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("variant", VARIANTS)
def test_tfc_other_seeds(tmp_path: Path, variant: str, seed: int) -> None:
    path = tmp_path / "m.onnx"
    export(build("tfc", variant, seed=seed), torch.zeros(1, 1, 28, 28), path, fmt="qonnx")
    design = load(path)
    assert_matches_reference(design, path, random_input(design, 32, seed=seed))


def test_reference_of_torch_module(export_dir: Path) -> None:
    """reference() also takes the Brevitas module itself (exported on the fly)."""
    from qsim.frontend import reference

    design = load(_exported(export_dir, "tfc", "w1a1"))
    x = random_input(design, 3)
    y = reference(build("tfc", "w1a1"), design.input_to_source(x))
    np.testing.assert_array_equal(design.output_to_int(y), design(x))


# ---- the zoo's residual nets ---------------------------------------------------------------
@pytest.mark.parametrize("variant", ["w4a4", "w5a5"])
def test_zoo_resnet_small(tmp_path: Path, variant: str) -> None:
    """The small residual zoo net with its default folding equals the reference (output and
    layer boundaries), and its FINN dataflow form imports to the same design."""
    path = tmp_path / "resnet_small.onnx"
    export(build("resnet_small", variant), torch.zeros(1, *INPUT_SHAPES["resnet_small"]), path,
           fmt="qonnx")
    design = load(path, folding=default_folding("resnet_small", variant))
    x = random_input(design, 6, seed=4)
    assert_matches_reference(design, path, x, layers=True)
    df = tmp_path / "resnet_small_dataflow.onnx"
    to_dataflow_onnx(design).save(str(df))
    np.testing.assert_array_equal(load(df)(x), design(x))


@pytest.mark.parametrize(("variant", "period"), [("w4a4", 64 * (8 // 2) * (72 // 8)),
                                                 ("w5a5", 64 * (8 // 4) * (72 // 8))])
def test_zoo_resnet_small_fifos(tmp_path: Path, variant: str, period: int) -> None:
    """The folding's FIFO depths keep the pipeline model live at the bottleneck period (MVAU_1:
    8x8 pixels * MH/PE * MW/SIMD); the default depth 2 deadlocks on the identity shortcut."""
    from qsim.pipeline.engine import DeadlockError
    from qsim.pipeline.plan import stitch

    path = tmp_path / "resnet_small.onnx"
    export(build("resnet_small", variant), torch.zeros(1, *INPUT_SHAPES["resnet_small"]), path,
           fmt="qonnx")
    design = load(path, folding=default_folding("resnet_small", variant))
    st = stitch(design)
    out = st.simulate(3).transfer.reshape(3, st.out_words_per_sample)
    assert int(out[2, -1] - out[1, -1]) == period
    with pytest.raises(DeadlockError, match=r"edges? .*'Thresholding_0 -> AddStreams_0\[1\]'"):
        stitch(design.with_fifo_depths(None)).simulate(2)


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "period"), [("w4a4", 1024 * (32 // 4) * (288 // 32)),
                                                 ("w5a5", 1024 * (32 // 2) * (288 // 32))])
def test_zoo_resnet8(tmp_path: Path, variant: str, period: int) -> None:
    """ResNet-8 (CIFAR-10, 32x32x3) with its Pynq-Z2 folding equals the reference, and the
    pipeline model runs at the folding table's bottleneck period (MVAU_1: 32x32 pixels *
    MH/PE * MW/SIMD) with the folding's FIFO depths."""
    from qsim.pipeline.plan import stitch

    path = tmp_path / "resnet8.onnx"
    export(build("resnet8", variant), torch.zeros(1, *INPUT_SHAPES["resnet8"]), path,
           fmt="qonnx")
    design = load(path, folding=default_folding("resnet8", variant))
    kinds = [type(la.block).__name__ for la in design.layers]
    assert kinds.count("AddStreams") == 3 and kinds.count("FMPadding") == 7
    assert_matches_reference(design, path, random_input(design, 2, seed=5), layers=True)
    st = stitch(design)
    out = st.simulate(3).transfer.reshape(3, st.out_words_per_sample)
    assert int(out[2, -1] - out[1, -1]) == period


@pytest.mark.parametrize("path", ["packed", "blocks"])
def test_design_output_equals_its_last_layer_on_either_chain_path(
        export_dir: Path, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``design(x)`` runs a chain through run_chain (CNV's one-bit SWG -> XNOR MVTU pairs
    fused over packed pixels when measured faster); forced either way, it equals the last
    layer of ``run_layers``, which runs every block on its own."""
    from qsim.models import _packed

    monkeypatch.setattr(_packed.PackedWindowMVTU, "path_for", lambda self, n: path)
    runs: list[str] = []
    fused = _packed.PackedWindowMVTU.run
    monkeypatch.setattr(_packed.PackedWindowMVTU, "run",
                        lambda self, x, p: runs.append(p) or fused(self, x, p))
    design = load(_exported(export_dir, "cnv", "w1a1"), folding=default_folding("cnv"))
    assert design.is_chain
    x = random_input(design, 3, seed=5)
    layers = design.run_layers(x)
    np.testing.assert_array_equal(design(x), layers[design.layers[-1].name])
    assert runs and set(runs) == {path}  # the pairs did go through run_chain's fusion
