"""``qsim signoff``: the whole checklist before a bitstream, bound into a manifest.

Checklist (every item must pass):

1. all levels (ref, model, cppsim, rtlsim) agree bit-exactly on N vectors at every layer;
2. rtlsim is cycle-exact with the cycle model under a backpressure sweep (none, random
   idle/stall 0.3 and 0.5, long bursts), with no protocol assertion fired;
3. the generated RTL of every layer lints clean (``verilator --lint-only -Wall``);
4. the design fits the board (Pynq-Z2 by default) with headroom (default 10%) on every
   resource: yosys counts of the stitched top, or a refusal without synthesis when the analytic
   estimate already needs more than twice the board (:func:`fit_check`, docs/synth.md).
5. the stitched design (``rtlsim-stitched``: cores, FIFOs with the depths the bitstream is
   built with, width converters) agrees with the model and its cycle model while the
   downstream stalls at random;
6. line and toggle coverage of every core, collected during the rtlsim run and merged per
   module, reaches its threshold (default line >= 95%, toggle >= 90%) or is waived; the
   waivers (module, kind, reason) are listed in the manifest (:mod:`qsim.verify.coverage`).

The manifest binds the SHA-256 of the model, the folding, every generated RTL/HLS file and
the report. :func:`require_signoff` is the gate that anything building a bitstream calls: it
refuses unless a passing manifest matches the model and folding it is given.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Optional

from qsim import __version__
from qsim.errors import QsimError

from .report import write_json_atomic

__all__ = ["DEFAULT_BOARD", "DEFAULT_HEADROOM", "SignoffError", "fit_check", "manifest_path",
           "require_signoff", "write_manifest"]

MANIFEST = "manifest.json"
DEFAULT_BOARD = "pynq-z2"
DEFAULT_HEADROOM = 0.1

# the checks ``qsim signoff`` always writes (plus one "lint <layer>" per layer); a manifest
# without every one of them, passed, is refused however its "pass" field reads
REQUIRED_CHECKS = ("all levels ran", "all levels agree bit-exactly at every layer",
                   "rtlsim cycle-exact and protocol-clean under the backpressure sweep",
                   "verification passed",
                   "rtlsim-stitched agrees with the model, cycle-exact under backpressure, "
                   "with the FIFO depths of the build",
                   "coverage collected for every core")
REQUIRED_FILES = ("report/report.json", "report/report.html", "hls/top.cpp")


class SignoffError(QsimError):
    """No passing sign-off manifest matches the model/folding (or it was tampered with)."""


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fit_check(design: Any, board: str = DEFAULT_BOARD, headroom: float = DEFAULT_HEADROOM,
              jobs: int = 2) -> dict[str, Any]:
    """Checklist item 4 as a check record: ``pass``, ``detail`` (the verdict, naming every
    resource over its limit and by how much) and ``fit`` (counts, source, excess).

    Raises
    ------
    ConfigError
        Unknown board or a headroom outside [0, 1).
    """
    from qsim.errors import SimulationError, ToolchainError
    from qsim.synth import board as get_board
    from qsim.synth import estimate_refusal, fit, measure
    from qsim.synth.fit import check_headroom

    brd = get_board(board)
    check_headroom(headroom)
    name = f"fits the {brd.name} with {headroom:.0%} headroom"
    verdict = estimate_refusal(design, brd, headroom)
    if verdict is None:
        try:
            used, source = measure(design, per_layer=False, jobs=jobs).used()
        except (SimulationError, ToolchainError) as exc:
            return {"name": name, "pass": False, "detail": f"synthesis failed: {exc}"}
        verdict = fit(used, source, brd, headroom)
    return {"name": name, "pass": verdict.fits, "detail": verdict.summary(),
            "fit": verdict.to_json()}


def manifest_path(out_dir: Path) -> Path:
    return Path(out_dir) / MANIFEST


def write_manifest(out_dir: Path, model: str, folding: Optional[str], checks: list[dict[str,
                   Any]], artifacts: list[Path], extra: Optional[dict[str, Any]] = None
                   ) -> dict[str, Any]:
    """Write DIR/manifest.json: hashes of inputs, generated files and reports, and the verdict."""
    out_dir = Path(out_dir)
    files = {str(p.relative_to(out_dir)): sha256_file(p) for p in sorted(artifacts)}
    data = {"qsim_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                   time.gmtime()),
            "model": str(model), "model_sha256": sha256_file(Path(model)),
            "folding": folding, "folding_sha256": sha256_file(Path(folding)) if folding else None,
            "checks": checks, "pass": all(c["pass"] for c in checks) and bool(checks),
            "files": files, **(extra or {})}
    write_json_atomic(manifest_path(out_dir), data)
    return data


def require_signoff(model: str, folding: Optional[str], out_dir: Path) -> dict[str, Any]:
    """The gate: return the manifest if it passes and matches, else raise SignoffError."""
    path = manifest_path(Path(out_dir))
    if not path.is_file():
        raise SignoffError(f"no sign-off manifest in {str(out_dir)!r}: run `qsim signoff "
                           f"{model} --folding {folding} --out {out_dir}` first")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SignoffError(f"sign-off manifest {str(path)!r} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise SignoffError(f"sign-off manifest {str(path)!r} is a JSON {type(data).__name__}, "
                           f"not the object `qsim signoff` writes")
    _check_complete(data, path)
    if data.get("model_sha256") != sha256_file(Path(model)):
        raise SignoffError(f"model {model!r} changed since sign-off (SHA-256 differs from "
                           f"{str(path)!r})")
    want = sha256_file(Path(folding)) if folding else None
    if data.get("folding_sha256") != want:
        raise SignoffError(f"folding {folding!r} differs from the signed-off folding "
                           f"{data.get('folding')!r}")
    for rel, digest in data["files"].items():
        f = Path(out_dir) / rel
        if not f.is_file() or sha256_file(f) != digest:
            raise SignoffError(f"signed-off file {str(f)!r} is missing or changed since "
                               f"sign-off")
    return data


def _check_complete(data: dict[str, Any], path: Path) -> None:
    """Every required check present and passed, lint checks present, every required file
    listed: a hand-written manifest with empty or partial checks is refused."""
    checks = data.get("checks")
    if not isinstance(checks, list) or not all(isinstance(c, dict) and "name" in c
                                               for c in checks):
        raise SignoffError(f"sign-off manifest {str(path)!r}: 'checks' must be a list of "
                           f"{{name, pass}} records, got {checks!r}")
    names = {str(c["name"]) for c in checks}
    missing = [n for n in REQUIRED_CHECKS if n not in names]
    if not any(n.startswith("lint ") for n in names):
        missing.append("lint <layer>")
    if not any(n.startswith("fits the ") for n in names):
        missing.append("fits the <board> (the fit check)")
    if missing:
        raise SignoffError(f"sign-off manifest {str(path)!r} lacks check(s) {missing!r}: it "
                           f"was not written by a complete `qsim signoff`")
    failed = [c["name"] for c in checks if c.get("pass") is not True]
    if failed or data.get("pass") is not True:
        details = "; ".join(f"{c['name']}: {c['detail']}" for c in checks
                            if c.get("pass") is not True and c.get("detail"))
        raise SignoffError(f"sign-off in {str(path.parent)!r} did not pass (failed: "
                           f"{failed!r})" + (f": {details}" if details else ""))
    files = data.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise SignoffError(f"sign-off manifest {str(path)!r}: 'files' must map file -> "
                           f"SHA-256, got {files!r}")
    outside = [f for f in files if Path(f).is_absolute() or ".." in Path(f).parts]
    if outside:
        raise SignoffError(f"sign-off manifest {str(path)!r} names file(s) {outside!r} "
                           f"outside its directory")
    absent = [f for f in REQUIRED_FILES if f not in files]
    if absent or not any(f.startswith("rtl/") for f in files):
        raise SignoffError(f"sign-off manifest {str(path)!r} does not bind file(s) "
                           f"{absent or ['rtl/*']!r}")
