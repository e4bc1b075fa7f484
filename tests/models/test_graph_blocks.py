"""Properties every graph block (FMPadding, DuplicateStreams, AddStreams, GlobalAccPool,
LabelSelect) shares: shapes, folding, types, ports, config round trips, handshake order."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from .strategies import graph_block, patterns, rand_inputs


@given(cfg=graph_block)
def test_stream_shapes_and_folding(cfg: Any) -> None:
    s = cfg.schedule
    assert s.n_in == cfg.in_words and s.n_out == cfg.out_words
    assert int(s.frees.sum()) == cfg.in_words and int(s.produces.sum()) == cfg.out_words
    for p in range(cfg.in_ports):  # same frame and lanes on every input port
        fmt = cfg.in_stream_of(p)
        assert fmt.lanes * cfg.in_words == int(np.prod(cfg.in_frame_shape))
    for q in range(cfg.out_ports):
        fmt = cfg.out_stream_of(q)
        assert fmt.lanes * cfg.out_words == int(np.prod(cfg.out_frame_shape))
        assert fmt.dtype == cfg.odt
    assert cfg.in_stream_of(0) == cfg.in_stream and cfg.out_stream_of(0).lanes == \
        cfg.out_stream.lanes


@given(cfg=graph_block, seed=st.integers(0, 2**32 - 1), lead=st.sampled_from([(), (2,), (2, 1)]))
def test_outputs_fit_odt_and_keep_batch_dims(cfg: Any, seed: int, lead: tuple[int, ...]) -> None:
    rng = np.random.default_rng(seed)
    xs = [x.reshape(lead + cfg.in_frame_shape) for x in rand_inputs(cfg, rng,
                                                                    int(np.prod(lead)))]
    y = cfg(*xs)
    assert y.shape == lead + cfg.out_frame_shape and y.dtype == np.int64
    assert int(cfg.odt.min()) <= int(y.min()) and int(y.max()) <= int(cfg.odt.max())
    assert np.array_equal(cfg.run(*xs, check=False), y)  # the unchecked path agrees
    again = type(cfg).from_dict(cfg.to_dict())
    assert again.to_dict() == cfg.to_dict() and np.array_equal(again(*xs), y)
    for p, x in enumerate(xs):
        assert np.array_equal(cfg.unpack_input(cfg.pack_input(x, port=p), port=p).reshape(
            x.shape), x)


@given(cfg=graph_block, frames=st.integers(1, 3), data=st.data())
@settings(max_examples=60)
def test_handshake_order(cfg: Any, frames: int, data: Any) -> None:
    offer, ready = data.draw(patterns(frames * cfg.in_words, 300))
    tr = cfg.cycles(frames, offer=offer, ready=ready)
    free = cfg.cycles(frames)
    assert tr.accept.size == frames * cfg.in_words and tr.transfer.size == frames * cfg.out_words
    assert np.all(np.diff(tr.accept) > 0) and np.all(np.diff(tr.transfer) > 0)
    assert np.all(tr.accept >= np.asarray(offer, dtype=np.int64))
    assert all(t >= len(ready) or ready[t] for t in tr.transfer.tolist())
    assert np.all(tr.accept >= free.accept) and np.all(tr.transfer >= free.transfer)
