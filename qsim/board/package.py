"""``qsim bitstream``'s package: everything one Vivado run and the board need (docs/board.md).

Layout of PKG::

    qsim_package.json   manifest: board, part, fclk, the sign-off manifest's SHA-256, files
    src/                the signed-off model and folding (the emulated board loads them)
    hw/                 rtl/ (stitched RTL + qsim_board_top.v), package_ip.tcl, make_bd.tcl,
                        build.sh, README.md
    driver/             driver.py, driver_base.py, packing.py, validate.py, io_shape.json
    vectors.npz         the sign-off vectors: x, expected outputs, labels (top-1 of expected)
    bitfile/            filled by hw/build.sh: qsim_board.bit + qsim_board.hwh

The package is written into a temporary directory next to PKG and renamed at the end: a
failure leaves nothing half-written. An existing PKG is replaced only if it is a qsim package.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from qsim import __version__
from qsim.board._hw import BOARDS, WRAPPER, build_sh, make_bd_tcl, package_ip_tcl, wrapper_v
from qsim.board.dma import MAX_TRANSFER_BYTES, StreamLayout
from qsim.board.emulator import PACKAGE_MANIFEST
from qsim.errors import UsageError

__all__ = ["write_package"]

DRIVER_FILES = ("driver.py", "driver_base.py", "packing.py", "validate.py")
DRIVER_DIR = Path(__file__).resolve().parent / "driver"
BITFILE = "qsim_board.bit"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_out_dir(out: Path) -> None:
    """UsageError when ``out`` exists and is not a qsim package (never overwrite it)."""
    if out.exists() and not (out.is_dir() and (out / PACKAGE_MANIFEST).is_file()):
        raise UsageError(f"--out {str(out)!r} exists and is not a qsim package (no "
                         f"{PACKAGE_MANIFEST}); choose a new directory")


def _io_shape(st: Any, fclk_mhz: float) -> dict[str, Any]:
    first, last = st.first, st.last
    lin, lout = StreamLayout(st.in_bits), StreamLayout(st.out_bits)
    oshape = [int(v) for v in st.design.output_shape]
    return {"ishape": [int(v) for v in st.design.input_shape], "oshape": oshape,
            "idt": first.in_stream.dtype.name, "odt": last.out_stream.dtype.name,
            "in_lanes": int(first.in_stream.lanes), "out_lanes": int(last.out_stream.lanes),
            "in_word_bytes": lin.word_bytes, "out_word_bytes": lout.word_bytes,
            "in_words_per_sample": st.in_words_per_sample,
            "out_words_per_sample": st.out_words_per_sample,
            "max_transfer_bytes": MAX_TRANSFER_BYTES, "dma_name": "axi_dma_0",
            "fclk_mhz": fclk_mhz, "bitfile": BITFILE,
            "label": "index" if int(np.prod(oshape)) == 1 else "argmax"}


def _vectors(design: Any, signoff: Path) -> dict[str, np.ndarray]:
    """The sign-off's inputs (its seed and count from the bound report) and the model's
    outputs on them."""
    from qsim.verify.cli_verify import load_inputs

    meta = json.loads((signoff / "report" / "report.json").read_text())
    x = load_inputs(design, None, int(meta["inputs"]), int(meta["seed"]))
    y = np.asarray(design(x)).astype(np.int64)
    flat = y.reshape(y.shape[0], -1)
    labels = flat[:, 0] if flat.shape[1] == 1 else np.argmax(flat, axis=1)
    return {"x": np.asarray(x, dtype=np.int64), "expected": y, "labels": labels}


def _write_hw(st: Any, hw: Path, board: str, fclk_mhz: float) -> None:
    from qsim.pipeline.dwc import DataWidthConverter
    from qsim.pipeline.fifo import Fifo
    from qsim.rtlsim.stitch import sources
    from qsim.rtlsim.svgen import core_spec, rtl_sources

    rtl = hw / "rtl"
    srcs = sources(st, rtl)  # packages, hand-written cores (in qsim/rtl), the stitched top
    glue = [core_spec(Fifo(depth=2, width=8)), core_spec(DataWidthConverter(in_width=8,
                                                                            out_width=16))]
    srcs[-1:-1] = rtl_sources(*glue)  # the wrapper's FIFO and converter
    for src in srcs:
        if src.parent != rtl:
            shutil.copyfile(src, rtl / src.name)
    (rtl / f"{WRAPPER}.v").write_text(wrapper_v(st, fclk_mhz))
    names = list(dict.fromkeys(p.name for p in srcs)) + [f"{WRAPPER}.v"]
    b = BOARDS[board]
    (hw / "package_ip.tcl").write_text(package_ip_tcl(names, b))
    (hw / "make_bd.tcl").write_text(make_bd_tcl(st, b, fclk_mhz))
    (hw / "build.sh").write_text(build_sh())
    (hw / "build.sh").chmod(0o755)
    (hw / "README.md").write_text(
        f"# Vivado build ({b.name}, {b.part}, FCLK0 {fclk_mhz} MHz)\n\n"
        "Run `sh build.sh` where `vivado` is on PATH. It packages `rtl/` as an IP\n"
        "(`package_ip.tcl`), builds the block design (`make_bd.tcl`: PS7 with S_AXI_HP0, AXI DMA\n"
        "in simple mode, the accelerator, interconnects, proc_sys_reset), writes the bitstream\n"
        "and `output/utilization.rpt`, `output/timing.rpt`, and copies `qsim_board.bit` and\n"
        "`qsim_board.hwh` into `../bitfile/`. Then copy the whole package to the board and run\n"
        "`python3 driver/validate.py` and `python3 driver/driver.py --exec_mode throughput_test`\n"
        "as root.\n")


def write_package(model: str, folding: str, signoff: Path, out: Path, fclk_mhz: float,
                  board: str, signoff_manifest: dict[str, Any]) -> Path:
    """Write the package for a design whose sign-off passed (module docstring)."""
    from qsim.frontend import load
    from qsim.pipeline import stitch

    if board not in BOARDS:
        raise UsageError(f"--board {board!r} is not one of {sorted(BOARDS)!r}")
    if not fclk_mhz > 0:
        raise UsageError(f"--fclk {fclk_mhz!r} MHz must be positive")
    check_out_dir(out)
    st = stitch(load(model, folding=folding))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for d in ("src", "hw", "driver", "bitfile"):
            (tmp / d).mkdir()
        shutil.copyfile(model, tmp / "src" / "model.onnx")
        shutil.copyfile(folding, tmp / "src" / "folding.json")
        _write_hw(st, tmp / "hw", board, fclk_mhz)
        for name in DRIVER_FILES:
            shutil.copyfile(DRIVER_DIR / name, tmp / "driver" / name)
        (tmp / "driver" / "io_shape.json").write_text(
            json.dumps(_io_shape(st, fclk_mhz), indent=2) + "\n")
        vec = _vectors(st.design, signoff)
        np.savez(tmp / "vectors.npz", x=vec["x"], expected=vec["expected"],
                 labels=vec["labels"])
        files = {str(p.relative_to(tmp)): _sha(p) for p in sorted(tmp.rglob("*"))
                 if p.is_file()}
        meta = {"qsim_version": __version__, "board": board, "part": BOARDS[board].part,
                "fclk_mhz": fclk_mhz, "top": WRAPPER, "dma_name": "axi_dma_0",
                "model": "src/model.onnx", "folding": "src/folding.json",
                "signoff_dir": str(signoff),
                "signoff_manifest_sha256": _sha(signoff / "manifest.json"),
                "signoff_model_sha256": signoff_manifest.get("model_sha256"),
                "files": files}
        (tmp / PACKAGE_MANIFEST).write_text(json.dumps(meta, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
