"""Bulk inputs in chunks: the merged result equals one run on all inputs (checks, verdict,
the first mismatch's position in the whole batch), and file inputs are read in chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from qsim.frontend import load
from qsim.verify import levels as lv
from qsim.verify._chunked import run_chunked
from qsim.verify.cli_verify import input_chunks
from qsim.verify.levels import Context, LayerRun, Level, LevelResult, register
from qsim.verify.runner import run_levels

from ._models import tiny_mlp


class FlipWhere(Level):
    """Test double: flips bit 0 of output element 2 of MVAU_1 for every sample whose first
    input is 7 (a rule on the data, so it flips the same samples however they are chunked)."""

    name = "flipwhere"
    description = "test double"

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray], ctx: Context,
             progress: Any) -> LevelResult:
        res = LevelResult(self.name)
        for layer in design.layers:
            y = np.array(expected[layer.name], copy=True)
            if layer.name == "MVAU_1":
                y[x[:, 0] == 7, 2] ^= 1  # y: (N, 4)
            res.layers[layer.name] = LayerRun(y)
        return res


@pytest.fixture()
def flipwhere() -> Iterator[None]:
    register(FlipWhere)
    yield
    del lv._REGISTRY["flipwhere"]


def _split(x: np.ndarray, size: int) -> list[np.ndarray]:
    return [x[i:i + size] for i in range(0, x.shape[0], size)]


def test_chunks_equal_one_run(flipwhere: None, tmp_path: Path) -> None:
    design = load(tiny_mlp(tmp_path / "tiny.onnx"))
    x = np.random.default_rng(1).integers(-8, 8, (50, 16))
    x[:, 0] = np.where(np.arange(50) == 23, 7, np.minimum(x[:, 0], 6))  # sample 23 only
    levels = ["model", "flipwhere"]
    whole = run_levels(design, x, levels, Context())
    parts = run_chunked(design, _split(x, 8), levels, Context())
    assert whole.checks == parts.checks and whole.passed is parts.passed is False
    (mw,), (mp,) = whole.mismatches, parts.mismatches
    # sample 23 sits in chunk 2 (samples 16..23) at local frame 7: placed back at frame 23
    assert (mp.layer, mp.frame, mp.word, mp.lane, mp.expected, mp.got) == \
        (mw.layer, mw.frame, mw.word, mw.lane, mw.expected, mw.got) == \
        ("MVAU_1", 23, 23 * 4 + 2, 0, mw.expected, mw.expected ^ 1)


def test_file_inputs_are_read_in_chunks(tmp_path: Path) -> None:
    design = load(tiny_mlp(tmp_path / "tiny.onnx"))
    x = np.random.default_rng(2).integers(-8, 8, (11, 16))
    np.save(tmp_path / "x.npy", x)
    n, chunks = input_chunks(design, str(tmp_path / "x.npy"), None, 0, chunk=4)
    got = list(chunks())
    assert n == 11 and [c.shape[0] for c in got] == [4, 4, 3]
    assert np.array_equal(np.concatenate(got), x)


def test_random_inputs_are_deterministic_and_sized(tmp_path: Path) -> None:
    design = load(tiny_mlp(tmp_path / "tiny.onnx"))
    n, chunks = input_chunks(design, None, 10, 5, chunk=4)
    a, b = list(chunks()), list(chunks())
    assert n == 10 and [c.shape for c in a] == [(4, 16), (4, 16), (2, 16)]
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert int(np.concatenate(a).min()) >= -8 and int(np.concatenate(a).max()) <= 7
