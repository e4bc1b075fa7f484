"""Compile generated cppsim sources into shared libraries, with a content-addressed cache.

Cache key: SHA-256 of (generated source, every header it can include -- qsim's ``hls/qsim``
and the ``ap_types`` headers --, the compiler's identity and the flags). A hit is
``<cache>/cppsim/<key>/lib.so``; the source and compiler log are kept next to it. The library
is written to a temporary name and renamed, so concurrent builds of the same key are safe.

Precompiled header: parsing ``ap_int.h`` and the kernel headers costs most of a small
translation unit's compile time (about 3 of 4.5 s on the loaded 2-core machine), so every
build force-includes ``qsim_pch.hpp`` -- all of ``hls/qsim/*.hpp`` -- precompiled once per
(headers, compiler, flags) under ``<cache>/cppsim/pch/<key>/``. The headers are guarded, so
the source's own ``#include`` lines become no-ops; when g++ cannot use the ``.gch`` it reads
the header text instead (same result, slower). The library cache key does not depend on it.

``$QSIM_HLS_DIR``: another directory of the qsim headers to compile against (``qsim mutate
--cores hls:...`` points it at a mutated copy). It must be named ``qsim`` (the sources include
``"qsim/<header>"``); its parent becomes the include root. The cache key hashes the headers'
contents, so such a copy gets builds and a precompiled header of its own. Read at every call.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

from qsim._toolchain import find_cxx
from qsim.errors import ConfigError, SimulationError, ToolchainError

__all__ = ["DEFAULT_FLAGS", "HLS_DIR_ENV", "BuildResult", "ap_types_dir", "build_libraries",
           "build_library", "cache_key", "cache_root", "find_compiler", "hls_dir",
           "precompiled_header"]

#: g++ flags of a cppsim library (-O1: the kernels are small; compile time dominates).
#: -fsanitize=bounds checks every subscript of an array of known bounds; the harness
#: (hls/qsim/cppsim.hpp) reports a violation as the call's error.
DEFAULT_FLAGS: tuple[str, ...] = ("-std=c++17", "-O1", "-shared", "-fPIC", "-w",
                                  "-fsanitize=bounds")
#: Environment variable naming another directory of the qsim HLS headers (see the module doc).
HLS_DIR_ENV = "QSIM_HLS_DIR"
_HLS4ML_FIX = "pip install --no-deps hls4ml==1.3.0"
_PCH_LOCK = threading.Lock()
# let ccache cache units that force-include the precompiled header
_CCACHE_ENV = {"CCACHE_SLOPPINESS": "pch_defines,time_macros,include_file_mtime,"
                                    "include_file_ctime"}


@dataclass(frozen=True)
class BuildResult:
    """A built library: its path, cache key, whether it came from the cache, and seconds spent."""

    path: Path
    key: str
    cached: bool
    seconds: float


def hls_dir() -> Path:
    """The include root of the ``qsim/*.hpp`` header library: the repository's ``hls/``, or
    the parent of ``$QSIM_HLS_DIR`` when set. Raises ConfigError when that variable does not
    name a directory called ``qsim`` holding ``common.hpp``."""
    override = os.environ.get(HLS_DIR_ENV)
    if not override:
        return Path(__file__).resolve().parents[2] / "hls"
    path = Path(override).resolve()
    if path.name != "qsim" or not (path / "common.hpp").is_file():
        raise ConfigError(f"{HLS_DIR_ENV}={override!r} is not a directory of the qsim HLS "
                          f"headers (it must be named 'qsim' and hold common.hpp)")
    return path.parent


@lru_cache(maxsize=1)
def ap_types_dir() -> Path:
    """The Apache-2.0 Xilinx ``ap_int.h`` headers shipped in the hls4ml wheel (not imported)."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or spec.origin is None:
        raise ToolchainError(f"cppsim needs the ap_int.h headers from hls4ml, which is not "
                             f"installed: run {_HLS4ML_FIX!r}")
    path = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    if not (path / "ap_int.h").is_file():
        raise ToolchainError(f"cppsim: {str(path / 'ap_int.h')!r} not found in the installed "
                             f"hls4ml; run {_HLS4ML_FIX!r}")
    return path


@lru_cache(maxsize=1)
def find_compiler() -> tuple[str, ...]:
    """The C++ compiler command (with ``ccache`` in front when it is installed)."""
    cxx = str(find_cxx())  # raises ToolchainError naming the fix
    ccache = shutil.which("ccache")
    return (ccache, cxx) if ccache else (cxx,)


@lru_cache(maxsize=1)
def _compiler_id() -> str:
    cmd = find_compiler()
    out = subprocess.run([cmd[-1], "--version"], capture_output=True, text=True, check=False)
    return f"{cmd[-1]}\n{out.stdout}"


def _headers_digest() -> str:
    """Digest of every header a generated source can include (of the current header dir)."""
    return _digest_of(hls_dir() / "qsim")


@lru_cache(maxsize=8)
def _digest_of(qsim_headers: Path) -> str:
    h = hashlib.sha256()
    for root in (qsim_headers, ap_types_dir()):
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def cache_root(cache_dir: Optional[Path] = None) -> Path:
    """``<cache_dir or ./.qsim_cache>/cppsim``."""
    return Path(cache_dir if cache_dir is not None else Path.cwd() / ".qsim_cache") / "cppsim"


def cache_key(source: str, flags: Sequence[str] = DEFAULT_FLAGS) -> str:
    h = hashlib.sha256()
    for part in (source, _headers_digest(), _compiler_id(), "\0".join(flags)):
        h.update(part.encode() + b"\0\0")
    return h.hexdigest()[:32]


def _pch_text() -> str:
    names = sorted(p.name for p in (hls_dir() / "qsim").glob("*.hpp"))
    return "\n".join(["// every qsim HLS header, precompiled once for cppsim builds",
                      "#include <string>", "#include <vector>",
                      *(f'#include "qsim/{n}"' for n in names)]) + "\n"


def precompiled_header(flags: Sequence[str] = DEFAULT_FLAGS,
                       cache_dir: Optional[Path] = None) -> Optional[Path]:
    """The force-included header ``qsim_pch.hpp`` (its ``.gch`` built once, next to it), or
    None when the compiler cannot precompile it (builds then parse the headers as text)."""
    cflags = [f for f in flags if f != "-shared"]
    key = cache_key(_pch_text(), cflags)
    out = cache_root(cache_dir) / "pch" / key
    hdr, gch = out / "qsim_pch.hpp", out / "qsim_pch.hpp.gch"
    with _PCH_LOCK:
        if gch.is_file():
            return hdr
        out.mkdir(parents=True, exist_ok=True)
        if not hdr.is_file():
            _write_atomic(hdr, _pch_text())
        fd, tmp = tempfile.mkstemp(suffix=".gch", dir=out)
        os.close(fd)
        cmd = [*find_compiler(), *cflags, "-I", str(hls_dir()), "-I", str(ap_types_dir()),
               "-x", "c++-header", str(hdr), "-o", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                              env={**os.environ, **_CCACHE_ENV})
        _write_atomic(out / "build.log", " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
        if proc.returncode != 0:  # g++ may have removed its output already
            if os.path.exists(tmp):
                os.unlink(tmp)
            return None
        os.replace(tmp, gch)
    return hdr


def build_library(source: str, *, flags: Sequence[str] = DEFAULT_FLAGS,
                  cache_dir: Optional[Path] = None, pch: bool = True) -> BuildResult:
    """Compile ``source`` into a shared library, or return the cached one.

    ``pch``: force-include the precompiled kernel headers (:func:`precompiled_header`).
    Raises ToolchainError when the compiler or headers are missing and SimulationError (with
    the compiler's messages) when the source does not compile.
    """
    t0 = time.perf_counter()
    key = cache_key(source, flags)
    out_dir = cache_root(cache_dir) / key
    lib = out_dir / "lib.so"
    if lib.is_file():
        return BuildResult(lib, key, True, time.perf_counter() - t0)
    hdr = precompiled_header(flags, cache_dir) if pch else None
    compiler = [*find_compiler(), *flags, *(["-include", str(hdr)] if hdr else []),
                "-I", str(hls_dir()), "-I", str(ap_types_dir())]
    out_dir.mkdir(parents=True, exist_ok=True)
    # Private names while building: a concurrent build of the same key never sees a partial
    # source or library; the final names appear by atomic renames.
    fd, tmp_src = tempfile.mkstemp(suffix=".cpp", dir=out_dir)
    with os.fdopen(fd, "w") as f:
        f.write(source)
    tmp = tmp_src[:-4] + ".so"
    cmd = [*compiler, tmp_src, "-o", tmp]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, **_CCACHE_ENV})
    log = out_dir / "build.log"
    src = out_dir / "top.cpp"
    _write_atomic(log, " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    os.replace(tmp_src, src)
    if proc.returncode != 0:
        if os.path.exists(tmp):
            os.unlink(tmp)
        tail = "\n".join(proc.stderr.strip().splitlines()[-25:])
        raise SimulationError(f"cppsim: compiling {str(src)!r} failed (exit {proc.returncode}); "
                              f"log in {str(log)!r}:\n{tail}")
    os.replace(tmp, lib)
    return BuildResult(lib, key, False, time.perf_counter() - t0)


def build_libraries(sources: Sequence[str], *, jobs: Optional[int] = None,
                    flags: Sequence[str] = DEFAULT_FLAGS, cache_dir: Optional[Path] = None,
                    pch: bool = True) -> list[BuildResult]:
    """Build several sources in parallel (``jobs`` compilers at once, default: CPU count).

    Equal sources are compiled once (they share a cache key); results follow ``sources``.
    """
    workers = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    unique = list(dict.fromkeys(sources))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        built = dict(zip(unique, pool.map(
            lambda s: build_library(s, flags=flags, cache_dir=cache_dir, pch=pch), unique)))
    return [built[s] for s in sources]
