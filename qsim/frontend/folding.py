"""FINN folding configs on a Design: PE/SIMD, memory and multiplier styles, FIFO depths.

A folding_config.json maps node names to attributes (``{"Defaults": {...}, "<node name>":
{"PE": 4, "SIMD": 8, "inFIFODepths": [32]}}``). :func:`apply_folding` matches the names to the
Design's layers (exactly, or after mapping FINN's variants of a name: :func:`_canonical`),
applies the attributes qsim models to the blocks (each block then checks its folding rules)
and turns ``inFIFODepths``/``outFIFODepths`` into a FIFO depth per link
(:func:`_link_depths`). :meth:`qsim.frontend.design.Design.fold` calls it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

from qsim.errors import ConfigError

if TYPE_CHECKING:
    from qsim.frontend.design import Design

__all__ = ["apply_folding"]

# FINN folding_config.json keys: the ones qsim applies and the hardware-only ones it ignores.
_FOLD_FIELDS = {"PE": "pe", "SIMD": "simd"}
# FINN memory/multiplier styles (docs/synth.md): applied to the blocks that have the field
# (MVTU, Thresholding), ignored on the others as FINN's own blocks without them do.
_STYLE_FIELDS = {"ram_style": "ram_style", "ram_style_thresholds": "ram_style_thresholds",
                 "resType": "res_type"}
_APPLIED = {**_FOLD_FIELDS, **_STYLE_FIELDS}
# FINN FIFO depths on a node's input / output stream: the link's FIFO takes the larger.
_FIFO_KEYS = ("inFIFODepths", "outFIFODepths")
_IGNORED_KEYS = frozenset({
    "mem_mode", "runtime_writeable_weights",
    "depth_trigger_uram", "depth_trigger_bram",
    "parallel_window", "impl_style", "preferred_impl_style", "accDataType"})


def _load_folding(folding: Union[Mapping[str, Any], str, Path]) -> Mapping[str, Any]:
    if isinstance(folding, (str, Path)):
        try:
            data = json.loads(Path(folding).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"folding config {str(folding)!r} cannot be read: {exc}") from None
    else:
        data = folding
    if not isinstance(data, Mapping):
        where = f" {str(folding)!r}" if isinstance(folding, (str, Path)) else ""
        raise ConfigError(f"folding config{where} must be a dict of node name -> attributes, "
                          f"got {type(data).__name__}")
    return data


def _canonical(node: str) -> str:
    """FINN node-name variants to qsim's: ``MVAU_hls_0`` / ``MatrixVectorActivation_0`` ->
    ``MVAU_0``; ``StreamingMaxPool_Batch_0`` -> ``StreamingMaxPool_0``."""
    for old, new in (("MatrixVectorActivation_", "MVAU_"), ("StreamingFCLayer_Batch_", "MVAU_"),
                     ("Thresholding_Batch_", "Thresholding_"),
                     ("StreamingMaxPool_Batch_", "StreamingMaxPool_"),
                     ("LabelSelect_Batch_", "LabelSelect_")):
        if node.startswith(old):
            node = new + node[len(old):]
    for impl in ("_hls_", "_rtl_"):
        node = node.replace(impl, "_")
    return node


def _settings(attrs: Any, layer: str) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """(folding attributes, FIFO depths per port by _FIFO_KEYS key) of one folding entry."""
    if not isinstance(attrs, Mapping):
        raise ConfigError(f"folding entry {layer!r} must be a dict of attributes, got {attrs!r}")
    out: dict[str, Any] = {}
    fifos: dict[str, list[int]] = {}
    for key, value in attrs.items():
        if key in _APPLIED:
            out[_APPLIED[key]] = value
        elif key in _FIFO_KEYS:
            depths = list(value) if isinstance(value, (list, tuple)) else [value]
            if not depths or any(isinstance(d, bool) or not isinstance(d, int) or d < 0
                                 for d in depths):
                raise ConfigError(f"folding entry {layer!r}: {key}={value!r} must be a list "
                                  f"of depths >= 0, one per port (FINN), or one depth")
            fifos[key] = depths
        elif key not in _IGNORED_KEYS:
            raise ConfigError(f"folding entry {layer!r}: attribute {key!r} is not a folding "
                              f"attribute qsim knows (PE, SIMD or a FINN hardware attribute)")
    return out, fifos


def _defaults(spec: Any) -> dict[str, tuple[Any, Optional[list[str]]]]:
    """FINN "Defaults": ``{attr: value}`` or ``{attr: [value, [op types or "all"]]}``."""
    out: dict[str, tuple[Any, Optional[list[str]]]] = {}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"folding 'Defaults' must be a dict, got {spec!r}")
    for key, v in spec.items():
        if key not in _APPLIED:
            continue
        if isinstance(v, (list, tuple)) and len(v) == 2 and isinstance(v[1], (list, tuple)):
            ops = None if "all" in v[1] else [str(o) for o in v[1]]
            value = v[0]
        else:
            value, ops = v, None
        # PE/SIMD are positive integers; a style's value is checked by the block it reaches
        if key in _FOLD_FIELDS and (isinstance(value, bool) or not isinstance(value, int)
                                    or value < 1):
            raise ConfigError(f"folding 'Defaults' entry {key!r}: {v!r} must be a positive "
                              f"integer or [integer, [op types or \"all\"]]")
        out[_APPLIED[key]] = (value, ops)
    return out


def apply_folding(design: Design, folding: Union[Mapping[str, Any], str, Path]) -> Design:
    """Apply a FINN folding_config.json (dict or path) by node name.

    ``{"Defaults": {...}, "<node name>": {"PE": 4, "SIMD": 8}}``. Names are matched exactly or
    after mapping FINN variants (``MVAU_hls_0``, ``MatrixVectorActivation_0`` -> ``MVAU_0``).
    Unknown names, attributes a block does not have and non-folding keys raise ConfigError;
    a folding that breaks a divisibility rule raises the block's own ConfigError.
    """
    data = _load_folding(folding)
    by_name = {la.name: la for la in design.layers}
    canon = {_canonical(la.name): la.name for la in design.layers}
    per_layer: dict[str, dict[str, Any]] = {}
    fifos: dict[str, dict[str, list[int]]] = {}
    unknown = []
    for key, attrs in data.items():
        if key == "Defaults":
            continue
        target = key if key in by_name else canon.get(_canonical(key))
        if target is None:
            unknown.append(key)
            continue
        per_layer[target], fifos[target] = _settings(attrs, key)
    if unknown:
        raise ConfigError(f"folding config names nodes {sorted(unknown)!r} that are not in "
                          f"Design {design.name!r}; a folding file must use its node names "
                          f"{list(by_name)!r} (or FINN's variants of them: MVAU_hls_0, "
                          f"MatrixVectorActivation_0, Thresholding_Batch_0, ...)")
    defaults = _defaults(data.get("Defaults", {}))
    layers = []
    for la in design.layers:
        changes = {f: v for f, (v, ops) in defaults.items() if hasattr(la.block, f)
                   and (ops is None or any(la.name.startswith(o) for o in ops))}
        for f, v in per_layer.get(la.name, {}).items():
            if f in _STYLE_FIELDS.values() and not hasattr(la.block, f):
                continue
            if not hasattr(la.block, f):
                raise ConfigError(f"folding entry {la.name!r}: a {type(la.block).__name__} has "
                                  f"no {f.upper()} attribute")
            changes[f] = v
        block = dataclasses.replace(la.block, **changes) if changes else la.block
        layers.append(dataclasses.replace(la, block=block))
    return dataclasses.replace(design, layers=tuple(layers),
                               fifo_depths=_link_depths(design, fifos))


def _link_depths(design: Design, fifos: Mapping[str, Mapping[str, list[int]]]
                 ) -> Optional[tuple[int, ...]]:
    """FIFO depth per edge between layers from the folding's in/outFIFODepths (one entry per
    port; the larger of the producer's output and the consumer's input depth, as FINN's
    InsertFIFO); edges the folding does not name keep the Design's depth. The Design's input
    and output have no FIFO here (the first layer's input and the last layer's output depths
    are ignored). A list naming a port the layer does not have is a ConfigError."""
    by_name = {la.name: la for la in design.layers}
    for nm, f in fifos.items():
        for key, ports in (("inFIFODepths", by_name[nm].in_ports),
                           ("outFIFODepths", by_name[nm].out_ports)):
            if len(f.get(key, [])) > ports:
                raise ConfigError(f"folding entry {nm!r}: {key}={f[key]!r} names port "
                                  f"{len(f[key]) - 1} but the layer has {ports} "
                                  f"{key[:-10] or 'in'}put port(s)")
    given: list[list[int]] = []
    for e in design.links:
        g = []
        out_d = fifos.get(e.src, {}).get("outFIFODepths", [])
        in_d = fifos.get(e.dst, {}).get("inFIFODepths", [])
        if e.src_port < len(out_d):
            g.append(out_d[e.src_port])
        if e.dst_port < len(in_d):
            g.append(in_d[e.dst_port])
        given.append(g)
    if not any(given):
        return design.fifo_depths
    return tuple(max(g) if g else d for g, d in zip(given, design.link_fifo_depths))
