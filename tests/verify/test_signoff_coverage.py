"""Sign-off coverage: merging Verilator coverage per module, thresholds, waivers, LCOV, and the
checklist items ``qsim signoff`` adds (coverage per core, the stitched run under backpressure).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qsim.cli import main
from qsim.errors import UsageError
from qsim.verify.coverage import (
    DEFAULT_MIN_LINE,
    DEFAULT_MIN_TOGGLE,
    DEFAULT_WAIVERS,
    Waiver,
    coverage_checks,
    load_waivers,
    merge_coverage,
    write_lcov,
)
from qsim.verify.signoff import REQUIRED_CHECKS, SignoffError, require_signoff

from ._models import tiny_mlp


def _point(file: str, line: int, kind: str, comment: str, count: int, hier: str) -> str:
    fields = {"f": f"/src/{file}", "l": str(line), "n": "1", "t": kind,
              "page": f"v_{kind}/{file[:-3]}", "o": comment, "S": str(line), "h": hier}
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in fields.items()) + f"' {count}"


def _dat(path: Path, points: list[str]) -> Path:
    path.write_text("# SystemC::Coverage-3\n" + "\n".join(points) + "\n")
    return path


@pytest.fixture
def merged(tmp_path: Path) -> dict:
    # two instances of qsim_ibuf in two runs: a point counts once, hit when any instance hit
    a = _dat(tmp_path / "a.dat", [
        _point("qsim_ibuf.sv", 10, "line", "block", 4, "top.u0"),
        _point("qsim_ibuf.sv", 11, "branch", "if", 0, "top.u0"),
        _point("qsim_ibuf.sv", 12, "toggle", "x[0]:0->1", 1, "top.u0"),
        _point("qsim_ibuf.sv", 12, "toggle", "x[0]:1->0", 0, "top.u0"),
        _point("qsim_oreg.sv", 5, "line", "block", 2, "top.u0"),
        _point("qsim_oreg.sv", 6, "toggle", "v:0->1", 3, "top.u0"),
        _point("qsim_stream_check.sv", 3, "line", "block", 0, "top.c"),
        _point("qsim_bench.sv", 3, "line", "block", 0, "top")])
    b = _dat(tmp_path / "b.dat", [
        _point("qsim_ibuf.sv", 11, "branch", "if", 2, "top.u1"),
        _point("qsim_ibuf.sv", 12, "toggle", "x[0]:1->0", 0, "top.u1"),
        _point("qsim_ibuf.sv", 13, "line", "block", 0, "top.u1")])
    return merge_coverage([a, b], ["qsim_ibuf", "qsim_oreg", "qsim_stream_check", "qsim_mvtu"])


def test_merge_per_module_across_instances_and_runs(merged: dict) -> None:
    assert sorted(merged) == ["qsim_ibuf", "qsim_mvtu", "qsim_oreg"]  # the checker is no core
    assert merged["qsim_ibuf"]["line"] == [2, 3]   # lines 10, 11 (hit in b), 13 never
    assert merged["qsim_ibuf"]["toggle"] == [1, 2]  # x[0] 0->1 hit, 1->0 in no instance
    assert merged["qsim_ibuf"]["lines"] == {10: 4, 11: 2, 13: 0}
    assert merged["qsim_oreg"]["line"] == [1, 1] and merged["qsim_oreg"]["toggle"] == [1, 1]
    assert merged["qsim_mvtu"]["line"] == [0, 0]


def test_thresholds_fail_a_core_and_a_waiver_passes_it(merged: dict) -> None:
    checks = {c["name"]: c for c in coverage_checks(merged, 95.0, 90.0, [])}
    assert checks["coverage qsim_oreg"]["pass"] is True
    ibuf = checks["coverage qsim_ibuf"]
    assert ibuf["pass"] is False and (ibuf["line"], ibuf["toggle"]) == (66.67, 50.0)
    assert "line 66.7% < 95% (1 of 3 points never hit)" in ibuf["detail"]
    assert checks["coverage qsim_mvtu"]["pass"] is False
    assert checks["coverage qsim_mvtu"]["detail"] == "no coverage points collected"
    waived = [Waiver("qsim_ibuf", "line", "read-side reset branch"),
              Waiver("qsim_ibuf", "toggle", "x[0] never falls in a short run")]
    ibuf = next(c for c in coverage_checks(merged, 95.0, 90.0, waived)
                if c["name"] == "coverage qsim_ibuf")
    assert ibuf["pass"] is True
    assert "line 66.7% < 95% WAIVED: read-side reset branch" in ibuf["detail"]
    one = coverage_checks(merged, 95.0, 90.0, waived[:1])  # the toggle shortfall still fails
    assert next(c for c in one if c["name"] == "coverage qsim_ibuf")["pass"] is False
    low = coverage_checks(merged, 50.0, 50.0, [])
    assert next(c for c in low if c["name"] == "coverage qsim_ibuf")["pass"] is True


def test_a_line_matching_waiver_leaves_out_only_its_lines(merged: dict, tmp_path: Path
                                                          ) -> None:
    lines = [f"// line {i}" for i in range(1, 14)]
    lines[10] = "    if (pop_i && rare_case) begin  // line 11"
    (tmp_path / "qsim_ibuf.sv").write_text("\n".join(lines))
    w = Waiver("qsim_ibuf", "line", "rare case unreachable here", ("rare_case",))
    ibuf = next(c for c in coverage_checks(merged, 60.0, 40.0, [w], tmp_path)
                if c["name"] == "coverage qsim_ibuf")
    # line 11's point (hit) is left out: 1 of 2 remaining points hit
    assert ibuf["line"] == 50.0 and ibuf["pass"] is False
    assert "lines [11] waived: rare case unreachable here" in ibuf["detail"]
    w13 = Waiver("qsim_ibuf", "line", "never reached", ("line 13",))
    ibuf = next(c for c in coverage_checks(merged, 95.0, 40.0, [w13], tmp_path)
                if c["name"] == "coverage qsim_ibuf")
    assert ibuf["line"] == 100.0 and ibuf["pass"] is True
    stale = Waiver("qsim_ibuf", "line", "moved away", ("no such text",))
    ibuf = next(c for c in coverage_checks(merged, 0.0, 0.0, [stale], tmp_path)
                if c["name"] == "coverage qsim_ibuf")
    assert ibuf["pass"] is False and "matches no line of qsim_ibuf.sv" in ibuf["detail"]


def test_a_module_without_line_points_passes_line_as_not_applicable(tmp_path: Path) -> None:
    dat = _dat(tmp_path / "w.dat", [_point("qsim_axis_wrap.sv", 9, "toggle", "d:0->1", 1, "t")])
    merged = merge_coverage([dat], ["qsim_axis_wrap"])
    (check,) = coverage_checks(merged, 95.0, 90.0, [])
    assert check["pass"] is True and check["line"] is None
    assert check["detail"].startswith("line: no line points in this module")


def test_lcov_records_every_line_point(merged: dict, tmp_path: Path) -> None:
    write_lcov(tmp_path / "c.info", merged, Path("/rtl"))
    text = (tmp_path / "c.info").read_text()
    rec = text.split("SF:/rtl/qsim_ibuf.sv\n")[1].split("end_of_record")[0]
    assert rec == "DA:10,4\nDA:11,2\nDA:13,0\nLF:3\nLH:2\n"


@pytest.mark.parametrize(("content", "match"), [
    ("{}", r"expected a JSON list"),
    ('[{"module": "qsim_ibuf", "kind": "branch", "reason": "x"}]', r"entry 0 .*kind in"),
    ('[{"module": "qsim_ibuf", "kind": "line", "reason": " "}]', r"non-empty reason"),
    ('[{"module": "qsim_ibuf", "kind": "line", "reason": "r", "match": "x"}]', r"'match'"),
    ('[{"module": "qsim_ibuf", "kind": "line", "reason": "r", "lines": [3]}]', r"entry 0"),
    ("[{", r"not a readable JSON file"),
])
def test_bad_waivers_are_refused(content: str, match: str, tmp_path: Path) -> None:
    (tmp_path / "w.json").write_text(content)
    with pytest.raises(UsageError, match=match):
        load_waivers(str(tmp_path / "w.json"))


@pytest.mark.rtlsim
@pytest.mark.cppsim
def test_signoff_reports_coverage_per_core_and_the_stitched_run(tmp_path: Path) -> None:
    model = tiny_mlp(tmp_path / "tiny.onnx")
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"Defaults": {}, "MVAU_0": {"PE": 2, "SIMD": 4},
                                "MVAU_1": {"PE": 4, "SIMD": 2}}))
    waivers = tmp_path / "waivers.json"
    waivers.write_text(json.dumps([{"module": "qsim_mvtu", "kind": "toggle",
                                    "reason": "test: a recorded waiver"}]))
    out = tmp_path / "so"
    code = main(["signoff", str(model), "--folding", str(fold), "--out", str(out),
                 "--vectors", "3", "--waivers", str(waivers), "--min-line", "0",
                 "--min-toggle", "100"])
    data = json.loads((out / "manifest.json").read_text())
    checks = {c["name"]: c for c in data["checks"]}
    assert set(REQUIRED_CHECKS) <= set(checks)
    assert checks["coverage collected for every core"]["pass"] is True
    cores = {n[9:] for n in checks if n.startswith("coverage qsim_")}
    assert {"qsim_mvtu", "qsim_threshold", "qsim_ibuf", "qsim_oreg", "qsim_axis_wrap"} <= cores
    assert "qsim_fifo" in cores  # the stitched design's FIFOs (default depth) are covered
    for core in cores:  # qsim_axis_wrap, qsim_fifo: only continuous assignments, instances
        c = checks[f"coverage {core}"]
        assert 0 < c["toggle"] <= 100, c
        assert (c["line"] is None) == (core in ("qsim_axis_wrap", "qsim_fifo")), c
        assert c["line"] is None or 0 < c["line"] <= 100, c
    mvtu = checks["coverage qsim_mvtu"]
    assert mvtu["pass"] is True and (mvtu["toggle"] == 100 or "WAIVED" in mvtu["detail"])
    # toggle >= 100% everywhere else: a core below it fails the checklist and the gate
    short = [c for c in cores if c != "qsim_mvtu" and checks[f"coverage {c}"]["toggle"] < 100]
    assert all(checks[f"coverage {c}"]["pass"] is False for c in short)
    assert code == (1 if short else 0) and data["pass"] is (not short)
    stitched = next(c for n, c in checks.items() if n.startswith("rtlsim-stitched"))
    assert stitched["pass"] is True and "FIFO depths" in stitched["detail"]
    assert data["coverage_waivers"] == [{"module": "qsim_mvtu", "kind": "toggle",
                                         "reason": "test: a recorded waiver"}]
    assert {"coverage/coverage.info", "coverage/coverage.json",
            "report-stitched/report.json"} <= set(data["files"])
    assert "SF:" in (out / "coverage" / "coverage.info").read_text()
    if short:
        with pytest.raises(SignoffError, match=r"did not pass .*coverage qsim_"):
            require_signoff(str(model), str(fold), out)


def _thr(pe: int, name: str) -> Any:
    from qsim.frontend import Layer
    from qsim.models import Thresholding

    t = Thresholding(channels=4, pe=pe, idt="UINT2", odt="UINT2", name=name,
                     thresholds=np.tile(np.array([[0, 1, 2]]), (4, 1)))
    return Layer(name=name, block=t, in_shape=(2, 4))


@pytest.mark.rtlsim
def test_stitched_fifo_and_dwc_get_coverage_rows(tmp_path: Path) -> None:
    import time

    from qsim.frontend import Design
    from qsim.verify._signoff_stitched import (
        GLUE_CHECK,
        _glue_configs,
        coverage_items,
        glue_item,
    )

    # PE 4 -> PE 1: a 4:1 width converter on the link, and a FIFO of depth 3 before it
    design = Design(layers=(_thr(4, "Thr_0"), _thr(1, "Thr_1")), input_shape=(2, 4),
                    idt="UINT2", name="glue").with_fifo_depths([3])
    since = time.time() - 1.0
    item, modules = glue_item(design, seed=0)
    assert item is not None and item["name"] == GLUE_CHECK
    assert item["pass"] is True, item["detail"]
    assert "Fifo(depth=3, width=8)" in item["detail"] and "DataWidthConverter(" in item["detail"]
    assert modules == ["qsim_dwc", "qsim_fifo"]
    # each distinct FIFO once: a second link with the same depth and width adds no instance
    twice = Design(layers=(_thr(4, "Thr_0"), _thr(4, "Thr_1"), _thr(4, "Thr_2")),
                   input_shape=(2, 4), idt="UINT2", name="twice").with_fifo_depths([3, 3])
    assert [type(c).__name__ for c in _glue_configs(twice)] == ["Fifo"]
    # the default thresholds (line 95%, toggle 90%) and the project's recorded waivers
    checks, files = coverage_items(design, tmp_path, since, DEFAULT_MIN_LINE,
                                   DEFAULT_MIN_TOGGLE, load_waivers(str(DEFAULT_WAIVERS)),
                                   modules)
    rows = {c["name"]: c for c in checks}
    fifo, dwc = rows["coverage qsim_fifo"], rows["coverage qsim_dwc"]
    # qsim_fifo is structural (its buffers are qsim_ibuf instances): toggle points only
    assert fifo["line"] is None and 90.0 <= fifo["toggle"] <= 100.0 and fifo["pass"], fifo
    # qsim_dwc: the unreachable arm of its UP selects is waived (this one converts down)
    assert dwc["line"] == 100.0 and 90.0 <= dwc["toggle"] <= 100.0 and dwc["pass"], dwc
    assert "waived: UP (in_width < out_width) is an elaboration-time" in dwc["detail"]
    data = json.loads((tmp_path / "coverage" / "coverage.json").read_text())
    assert data["modules"]["qsim_fifo"]["toggle"][1] > 0 and data["modules"]["qsim_dwc"][
        "line"][1] > 0
    lcov = (tmp_path / "coverage" / "coverage.info").read_text()
    assert "qsim_fifo.sv" in lcov and "qsim_dwc.sv" in lcov
    # nothing simulated the layers' cores here: their rows exist and fail, as a core without
    # coverage points must
    assert rows["coverage qsim_thresholding"]["pass"] is False


def test_a_design_without_fifos_or_converters_adds_no_glue_item() -> None:
    from qsim.frontend import Design
    from qsim.verify._signoff_stitched import glue_item

    design = Design(layers=(_thr(2, "Thr_0"), _thr(2, "Thr_1")), input_shape=(2, 4),
                    idt="UINT2", name="plain").with_fifo_depths([0])
    assert glue_item(design, seed=0) == (None, [])
