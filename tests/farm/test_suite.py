"""Suite checks (exit 2 naming the entry), the run diff and the stitched-shard inputs: no
cluster is started here."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qsim.cli import main
from qsim.errors import UsageError
from qsim.farm import load_suite
from qsim.farm._store import diff_runs, finished, write_result
from qsim.farm.tasks import shard_inputs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _suite(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "suite.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, match", [
    ('[[models]]\nmodel = "tfc:w1a1"\nlevels = "model"\ncolour = 3\n',
     r"models\[0\]: unknown key\(s\) \['colour'\]"),
    ('[[models]]\nmodel = "tfc:w9a9"\nlevels = "model"\n',
     r"models\[0\].model: unknown zoo name 'tfc:w9a9'"),
    ('[[models]]\nmodel = "nope.onnx"\nlevels = "model"\n',
     r"models\[0\].model: file 'nope.onnx' does not exist"),
    ('[[models]]\nmodel = "tfc:w1a1"\nlevels = "model,warp"\n',
     r"unknown level\(s\) \['warp'\] in suite entry models\[0\].levels\[0\]"),
    ('[[fuzz]]\nseeds = {start = 3, stop = 3}\n', r"fuzz\[0\].seeds = .* names no seed"),
    ('[[stitched]]\nmodel = "cnv:w1a1"\nframes = 2\nshards = 3\n',
     r"stitched\[0\].shards = 3 exceeds frames = 2"),
    ('[golden]\ncases = ["no_such_case"]\n', r"unknown golden case\(s\) \['no_such_case'\]"),
    ('[farm]\ntimeout = -1\n', r"farm.timeout = -1 must be a positive number"),
    ('[[models]\n', r"is not valid TOML"),
    ('[farm]\nretries = 1\n', r"names no job"),
])
def test_bad_suite_is_exit_2_naming_the_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              text: str, match: str) -> None:
    path = _suite(tmp_path, text)
    with pytest.raises(UsageError, match=match):
        load_suite(str(path))
    assert main(["regress", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "qsim regress: error: " in capsys.readouterr().err
    assert not (tmp_path / "out" / "jobs").exists()  # nothing ran


def test_missing_suite_file_is_exit_2(tmp_path: Path) -> None:
    assert main(["regress", str(tmp_path / "absent.toml"), "--out", str(tmp_path)]) == 2


def test_example_suite_expands_to_named_jobs_with_content_keys() -> None:
    suite = load_suite(str(EXAMPLES / "suite_small.toml"))
    names = [j.name for j in suite.jobs]
    assert names == ["verify tfc_w2a2_digits.onnx tfc_folding.json ref,model seed=0",
                     "verify tfc_w2a2_digits.onnx tfc_folding.json ref,model seed=1",
                     "verify tfc:w1a1 default model seed=0", "golden zoo_tfc_w1a1 model"]
    assert len({j.key for j in suite.jobs}) == 4
    again = load_suite(str(EXAMPLES / "suite_small.toml"))
    assert [j.key for j in again.jobs] == [j.key for j in suite.jobs]  # stable across reads


def test_a_changed_model_file_changes_the_job_key(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes((EXAMPLES / "tfc_w2a2_digits.onnx").read_bytes())
    path = _suite(tmp_path, '[[models]]\nmodel = "m.onnx"\nlevels = "model"\n')
    k1 = load_suite(str(path)).jobs[0].key
    model.write_bytes(model.read_bytes() + b"\0")
    assert load_suite(str(path)).jobs[0].key != k1


def test_fuzz_and_stitched_sections_expand_per_seed_and_shard(tmp_path: Path) -> None:
    path = _suite(tmp_path, '[[fuzz]]\nseeds = {start = 2, stop = 5}\nminutes = 0.5\n'
                            'levels = "model"\n[[stitched]]\nmodel = "cnv:w1a1"\n'
                            'frames = 10\nshards = 4\n')
    jobs = load_suite(str(path)).jobs
    assert [j.opt("seed") for j in jobs if j.kind == "fuzz"] == [2, 3, 4]
    assert [j.opt("index") for j in jobs if j.kind == "stitched"] == [0, 1, 2, 3]
    assert all(j.builds for j in jobs if j.kind == "stitched")
    assert not any(j.builds for j in jobs if j.kind == "fuzz")


def test_diff_names_new_failures_fixed_and_flaky() -> None:
    now = {"a": "fail", "b": "pass", "c": "pass", "d": "timeout", "e": "pass"}
    before = {"a": "pass", "b": "fail", "c": "pass", "e": "pass"}
    past = [{"e": "pass"}, {"e": "fail"}, {"e": "pass"}]
    assert diff_runs(now, before, past) == {"new_failures": ["a", "d"], "fixed": ["b"],
                                            "flaky": ["e"]}


def test_store_skips_torn_and_foreign_result_files(tmp_path: Path) -> None:
    write_result(tmp_path, {"key": "k1", "status": "pass"})
    (tmp_path / "jobs" / "k2.json").write_text('{"key": "k2", "sta')  # torn
    (tmp_path / "jobs" / "k3.json").write_text(json.dumps({"key": "other"}))
    assert list(finished(tmp_path)) == ["k1"]


@pytest.mark.parametrize("shards", [1, 3, 7])
def test_shard_inputs_do_not_depend_on_the_sharding(shards: int) -> None:
    design = SimpleNamespace(idt=DataType["INT3"], input_shape=(2, 3))
    whole = shard_inputs(design, 600, 1, 0, seed=5)[1]
    parts = [shard_inputs(design, 600, shards, i, seed=5) for i in range(shards)]
    assert [a for a, _ in parts] == np.linspace(0, 600, shards + 1).round().astype(int)[
        :-1].tolist()
    np.testing.assert_array_equal(np.concatenate([x for _, x in parts]), whole)
    assert whole.shape == (600, 2, 3) and whole.min() >= -4 and whole.max() <= 3
