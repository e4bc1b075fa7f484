"""Every bad input to every ``qsim`` command is exit 2 with the file, node or value named and
no traceback; a crashed level is exit 3 and status "error"; Ctrl-C is exit 130 (issue 17).

The table runs the CLI in-process. Each case: an id, the argv (``{key}`` stands for a file
written by :mod:`._bad_files`), the exact exit status and fragments the message must hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from qsim.cli import main
from qsim.verify import levels as lv
from qsim.verify.levels import Context, Level, LevelResult, register

from . import _bad_files as bad

V = ["verify", "{tiny}", "--levels", "ref,model", "--random", "2"]  # + --report per case

CASES: list[tuple[str, list[str], int, list[str]]] = [
    # -- the model ---------------------------------------------------------------------
    ("model-missing", ["verify", "{missing}"], 2, ["model", "nope.onnx", "does not exist"]),
    ("model-is-dir", ["verify", "{dir}"], 2, ["is not a file"]),
    ("model-corrupt", ["verify", "{corrupt}"], 2, ["corrupt.onnx"]),
    ("model-empty-file", ["verify", "{empty}"], 2, ["empty"]),
    ("opset-99", ["verify", "{op99}"], 2, ["opset 99", "op99.onnx"]),
    ("ir-99", ["verify", "{ir99}"], 2, ["IR version 99", "ir99.onnx"]),
    ("ir-2", ["verify", "{ir2}"], 2, ["IR version 2"]),
    ("opset-7-invalid-node", ["verify", "{tfc_op7}"], 2,
     ["/3/BatchNormalization", "opset 7", "training_mode"]),
    ("nan-weight", ["verify", "{nan_w}"], 2,
     ["nan_w.onnx", "'W0'", "MatMul_0", "nan at index (3, 1)"]),
    ("inf-threshold", ["verify", "{inf_t}"], 2, ["'T0'", "MultiThreshold_0", "inf"]),
    ("nan-threshold", ["verify", "{nan_t}"], 2, ["'T0'", "nan", "(0, 2)"]),
    ("nan-constant-node", ["verify", "{nan_const}"], 2,
     ["nan_const.onnx", "'T0'", "MultiThreshold_0", "nan at index (1, 1)"]),
    ("bn-negative-variance", ["verify", "{tfc_negvar}"], 2,
     ["/6/BatchNormalization", "variance -1.0", "channel 5"]),
    ("bn-nan-mean", ["verify", "{tfc_nanmean}"], 2, ["'3.running_mean'", "nan"]),
    ("int32-accumulator", ["verify", "{int32}", "--levels", "model"], 2,
     ["MVAU_0", "exceeds int64"]),
    ("unsupported-op", ["verify", "{softmax}"], 2, ["Softmax_0"]),
    ("two-graph-inputs", ["verify", "{two_in}"], 2, ["'x2'", "one input"]),
    ("all-dims-symbolic", ["verify", "{sym_all}"], 2, ["sym_all"]),
    # -- the folding ---------------------------------------------------------------------
    ("folding-missing", [*V, "--folding", "{dir}/none.json"], 2, ["--folding", "none.json"]),
    ("folding-is-dir", [*V, "--folding", "{dir}"], 2, ["--folding", "is not a file"]),
    ("folding-not-json", [*V, "--folding", "{fold_text}"], 2, ["fold_text.json"]),
    ("folding-list", [*V, "--folding", "{fold_list}"], 2,
     ["fold_list.json", "must be a dict", "list"]),
    ("folding-unknown-node", [*V, "--folding", "{fold_unknown}"], 2, ["MVAU_7"]),
    ("folding-pe-not-divisor", [*V, "--folding", "{fold_pe3}"], 2, ["MVAU_0", "PE"]),
    ("folding-pe-zero", [*V, "--folding", "{fold_pe0}"], 2, ["MVAU_0", "0"]),
    ("defaults-not-int", [*V, "--folding", "{fold_def_str}"], 2, ["Defaults", "'four'"]),
    ("defaults-negative", [*V, "--folding", "{fold_def_neg}"], 2, ["Defaults", "SIMD", "-2"]),
    ("defaults-not-dict", [*V, "--folding", "{fold_def_list}"], 2, ["Defaults", "[1, 2]"]),
    ("folding-entry-not-dict", [*V, "--folding", "{fold_entry}"], 2, ["MVAU_0", "4"]),
    ("folding-unknown-attr", [*V, "--folding", "{fold_attr}"], 2, ["MVAU_0", "Colour"]),
    ("folding-pe-float", [*V, "--folding", "{fold_pe_float}"], 2, ["MVAU_0", "pe=2.0"]),
    ("folding-negative-fifo", [*V, "--folding", "{fold_fifo}"], 2, ["inFIFODepths", "-4"]),
    # -- the inputs ----------------------------------------------------------------------
    ("inputs-missing", ["verify", "{tiny}", "--inputs", "{dir}/no.npy"], 2,
     ["--inputs", "no.npy", "does not exist"]),
    ("inputs-is-dir", ["verify", "{tiny}", "--inputs", "{dir}"], 2, ["--inputs", "not a file"]),
    ("inputs-npz", ["verify", "{tiny}", "--inputs", "{x_npz}"], 2, ["x.npz", ".npz archive"]),
    ("inputs-text", ["verify", "{tiny}", "--inputs", "{x_text}"], 2, ["x_text.npy"]),
    ("inputs-pickle", ["verify", "{tiny}", "--inputs", "{x_obj}"], 2, ["x_obj.npy"]),
    ("inputs-shape", ["verify", "{tiny}", "--inputs", "{x_shape}"], 2, ["(2, 15)", "(N, 16)"]),
    ("inputs-empty-batch", ["verify", "{tiny}", "--inputs", "{x_empty}"], 2,
     ["empty batch", "(0, 16)"]),
    ("inputs-out-of-range", ["verify", "{tiny}", "--inputs", "{x_range}"], 2, ["100", "INT4"]),
    ("inputs-not-integer", ["verify", "{tiny}", "--inputs", "{x_half}"], 2,
     ["x_half.npy", "not whole numbers"]),
    ("inputs-nan", ["verify", "{tiny}", "--inputs", "{x_nan}"], 2,
     ["x_nan.npy", "input 1 holds nan at index (1, 5)"]),
    ("inputs-and-random", ["verify", "{tiny}", "--inputs", "{x_shape}", "--random", "2"], 2,
     ["not allowed with"]),
    # -- arguments and the report path -------------------------------------------------------
    ("random-zero", ["verify", "{tiny}", "--random", "0"], 2, ["--random", "0", ">= 1"]),
    ("random-negative", ["verify", "{tiny}", "--random", "-5"], 2, ["-5"]),
    ("random-not-int", ["verify", "{tiny}", "--random", "many"], 2, ["'many'"]),
    ("seed-negative", [*V, "--seed", "-1"], 2, ["--seed", "-1", ">= 0"]),
    ("seed-not-int", [*V, "--seed", "1.5"], 2, ["--seed", "'1.5'"]),
    ("levels-empty", ["verify", "{tiny}", "--levels", ","], 2, ["names no level"]),
    ("levels-unknown", ["verify", "{tiny}", "--levels", "ref,magic"], 2, ["'magic'"]),
    ("levels-twice", ["verify", "{tiny}", "--levels", "model,model"], 2, ["twice"]),
    ("report-is-file", [*V, "--report", "{tiny}"], 2, ["--report", "not a directory"]),
    ("report-under-file", [*V, "--report", "{tiny}/sub"], 2, ["--report", "cannot be created"]),
    ("report-unwritable", [*V, "--report", "/proc/qsim-report"], 2,
     ["--report", "/proc/qsim-report"]),
    ("report-empty", ["verify", "{tiny}", "--report", ""], 2, ["--report ''", "empty"]),
    ("unknown-option", [*V, "--colour"], 2, ["unrecognized arguments: --colour"]),
    ("unknown-command", ["synthesise"], 2, ["invalid choice: 'synthesise'"]),
    # -- fuzz ------------------------------------------------------------------------------
    ("fuzz-seed-negative", ["fuzz", "--seed", "-1"], 2, ["--seed", "-1"]),
    ("fuzz-minutes-zero", ["fuzz", "--minutes", "0"], 2, ["--minutes", "0.0"]),
    ("fuzz-minutes-nan", ["fuzz", "--minutes", "nan"], 2, ["--minutes", "nan"]),
    ("fuzz-levels-unknown", ["fuzz", "--levels", "nope"], 2, ["'nope'"]),
    ("fuzz-results-is-file", ["fuzz", "--results", "{tiny}"], 2,
     ["--results", "not a directory"]),
    ("fuzz-results-unwritable", ["fuzz", "--results", "/proc/qsim-fuzz"], 2,
     ["--results", "/proc/qsim-fuzz"]),
    ("replay-is-file", ["fuzz", "--replay", "{tiny}"], 2, ["--replay", "not a directory"]),
    ("replay-missing", ["fuzz", "--replay", "{dir}/gone"], 2, ["--replay", "gone"]),
    ("replay-config-text", ["fuzz", "--replay", "{rep_cfg_text}"], 2,
     ["rep_cfg_text", "config.json"]),
    ("replay-config-block", ["fuzz", "--replay", "{rep_cfg_block}"], 2,
     ["rep_cfg_block", "Nonsense"]),
    ("replay-config-field", ["fuzz", "--replay", "{rep_cfg_field}"], 2,
     ["rep_cfg_field", "PE"]),
    ("replay-inputs-shape", ["fuzz", "--replay", "{rep_x_shape}", "--levels", "model"], 2,
     ["rep_x_shape", "inputs.npy"]),
    ("replay-inputs-range", ["fuzz", "--replay", "{rep_x_range}", "--levels", "model"], 2,
     ["rep_x_range", "inputs.npy", "9"]),
    ("replay-inputs-missing", ["fuzz", "--replay", "{rep_x_missing}"], 2,
     ["rep_x_missing", "inputs.npy"]),
    ("replay-ready-2d", ["fuzz", "--replay", "{rep_ready}", "--levels", "model"], 2,
     ["ready.npy", "(2, 2)"]),
    # -- fifo-size -------------------------------------------------------------------------
    ("fifo-out-is-dir", ["fifo-size", "{tiny}", "--out", "{dir}"], 2, ["--out", "directory"]),
    ("fifo-out-under-file", ["fifo-size", "{tiny}", "--out", "{tiny}/f.json"], 2,
     ["--out", "tiny.onnx", "not a directory"]),
    ("fifo-samples-one", ["fifo-size", "{tiny}", "--out", "{dir}/f.json", "--samples", "1"],
     2, ["--samples 1", "at least 2"]),
    ("fifo-samples-zero", ["fifo-size", "{tiny}", "--out", "{dir}/f.json", "--samples", "0"],
     2, ["--samples"]),
    ("fifo-folding-list", ["fifo-size", "{tiny}", "--out", "{dir}/f.json", "--folding",
                           "{fold_list}"], 2, ["fold_list.json", "list"]),
    ("fifo-criterion", ["fifo-size", "{tiny}", "--out", "{dir}/f.json", "--criterion",
                        "latency"], 2, ["--criterion", "'latency'"]),
    ("fifo-model-missing", ["fifo-size", "{missing}", "--out", "{dir}/f.json"], 2,
     ["nope.onnx"]),
    # -- signoff and the bitstream gate ---------------------------------------------------------
    ("signoff-vectors-zero", ["signoff", "{tiny}", "--folding", "{fold_ok}", "--out",
                              "{dir}/so", "--vectors", "0"], 2, ["--vectors"]),
    ("signoff-out-is-file", ["signoff", "{tiny}", "--folding", "{fold_ok}", "--out",
                             "{tiny}"], 2, ["--out", "not a directory"]),
    ("signoff-folding-missing", ["signoff", "{tiny}", "--out", "{dir}/so"], 2,
     ["--folding"]),
    ("gate-model-missing", ["bitstream", "{missing}", "--folding", "{fold_ok}", "--signoff",
                            "{man_none}"], 2, ["nope.onnx", "does not exist"]),
    ("gate-signoff-is-file", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                              "{tiny}"], 2, ["--signoff", "not a directory"]),
    ("gate-no-manifest", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                          "{man_none}"], 2, ["no sign-off manifest", "man_none"]),
    ("gate-manifest-list", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                            "{man_list}"], 2, ["JSON list"]),
    ("gate-manifest-text", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                            "{man_text}"], 2, ["unreadable", "man_text"]),
    ("gate-empty-checks", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                           "{man_empty}"], 2, ["lacks check(s)", "all levels ran"]),
    ("gate-failed-checks", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                            "{man_failed}"], 2, ["did not pass", "verification passed"]),
    ("gate-hash-mismatch", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                            "{man_hash}"], 2, ["changed since sign-off"]),
    ("gate-file-escape", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                          "{man_escape}"], 2, ["'../x'", "outside"]),
    ("gate-files-incomplete", ["bitstream", "{tiny}", "--folding", "{fold_ok}", "--signoff",
                               "{man_nofiles}"], 2, ["hls/top.cpp"]),
    ("gate-other-folding", ["bitstream", "{tiny}", "--folding", "{fold_pe3}", "--signoff",
                            "{man_hash}"], 2, ["differs from the signed-off folding"]),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("bad")
    out = {**bad.models(d), **bad.foldings(d), **bad.inputs(d), **bad.failures(d)}
    out.update(bad.manifests(d, out["tiny"], out["fold_ok"]))
    return out


def _argv(template: list[str], files: dict[str, str], report: Path) -> list[str]:
    argv = [a.format(**files) for a in template]
    if argv[0] == "verify" and "--report" not in argv:
        argv += ["--report", str(report)]
    if argv[0] == "fuzz" and "--results" not in argv:
        argv += ["--results", str(report)]
    return argv


@pytest.mark.parametrize("argv,code,fragments", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input(argv: list[str], code: int, fragments: list[str], files: dict[str, str],
                   tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(_argv(argv, files, tmp_path / "out"))
    err = " ".join(capsys.readouterr().err.split())
    assert rc == code, err
    for frag in fragments:
        assert frag in err, f"{frag!r} not in {err!r}"
    assert "Traceback" not in err
    if argv[0] == "verify":  # refused before any level ran: no report was written
        assert not (tmp_path / "out" / "report.json").exists()


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


def test_symbolic_batch_is_accepted(files: dict[str, str], tmp_path: Path) -> None:
    assert main(["verify", files["sym_batch"], "--levels", "ref,model", "--random", "3",
                 "--report", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "report.json").read_text())["levels"]["ref"]["status"] == \
        "pass"


def test_debug_shows_the_traceback(files: dict[str, str], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", files["op99"], "--report", str(tmp_path), "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "opset 99" in err


class Boom(Level):
    """Test double: a level that crashes (or is interrupted) while running."""

    name = "boom"
    description = "test double: raises"
    raises: type[BaseException] = RuntimeError

    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray], ctx: Context,
             progress: Any) -> LevelResult:
        raise self.raises("simulator fell over at cycle 17")


@pytest.fixture()
def boom() -> Iterator[type[Boom]]:
    register(Boom)
    yield Boom
    Boom.raises = RuntimeError
    del lv._REGISTRY["boom"]


def test_crashed_level_is_error_and_exit_3(boom: type[Boom], files: dict[str, str],
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["verify", files["tiny"], "--levels", "model,boom", "--random", "2", "--report",
               str(tmp_path)])
    err = " ".join(capsys.readouterr().err.split())
    assert rc == 3 and "Traceback" not in err and "cycle 17" in err
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["pass"] is False and data["verdict"] == "ERROR"
    assert data["levels"]["boom"]["status"] == "error"
    assert "RuntimeError: simulator fell over at cycle 17" in data["levels"]["boom"]["error"]
    assert data["levels"]["model"]["status"] == "pass"
    html = (tmp_path / "report.html").read_text()
    assert "<td class='error' title=" in html and ">ERROR</div>" in html
    assert data["run_id"] in html


def test_ctrl_c_is_130_and_keeps_no_report(boom: type[Boom], files: dict[str, str],
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    args = ["verify", files["tiny"], "--levels", "ref,model", "--random", "2", "--report",
            str(tmp_path)]
    assert main(args) == 0
    Boom.raises = KeyboardInterrupt
    args[3] = "model,boom"
    assert main(args) == 130
    assert "interrupted" in capsys.readouterr().err
    # the previous run's report was retired at the start: no stale verdict is left behind
    assert not (tmp_path / "report.json").exists()
    assert "no verdict" in (tmp_path / "report.html").read_text()


def test_accumulator_beyond_int64_is_refused_at_construction() -> None:
    from qsim.errors import ConfigError
    from qsim.models import MVTU

    w = np.full((4, 2), -2 ** 31, dtype=np.int64)  # bound 4 * 2**31 * 2**31 = 2**64
    with pytest.raises(ConfigError, match=r"MVTU.*accumulator bound 18446744073709551616 .* "
                                          r"exceeds int64"):
        MVTU(mw=4, mh=2, pe=1, simd=1, idt="INT32", wdt="INT32", weights=w)
    # 2 * 2**31 * 2**31 = 2**63 is one past int64 max; 1 * 2**31 * 2**31 fits
    with pytest.raises(ConfigError, match="exceeds int64"):
        MVTU(mw=2, mh=1, pe=1, simd=1, idt="INT32", wdt="INT32", weights=w[:2, :1])
    ok = MVTU(mw=1, mh=1, pe=1, simd=1, idt="INT32", wdt="INT32", weights=w[:1, :1])
    assert ok.acc_range == (-(2 ** 31) * (2 ** 31 - 1), 2 ** 62)


def test_valid_defaults_forms_still_apply(files: dict[str, str], tmp_path: Path) -> None:
    from qsim.frontend import load

    plain = load(files["tiny"], folding={"Defaults": {"PE": 2}})
    scoped = load(files["tiny"], folding={"Defaults": {"SIMD": [4, ["MVAU_1"]]}})
    assert [la.block.pe for la in plain.layers] == [2, 2]
    assert [la.block.simd for la in scoped.layers] == [1, 4]
