"""Stitched mismatches name the link: the native harness records every plan link's transfer
cycles and the rtlsim-stitched level reports the first link whose cycles leave the pipeline
model's, with the word and both cycles."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pytest

from qsim.pipeline.plan import stitch
from qsim.verify._stitched_level import first_link_difference
from tests.stitch._designs import random_input, tiny_conv


def test_first_link_difference_picks_the_earliest_model_cycle() -> None:
    model = [np.array([0, 1, 2]), np.array([3, 5, 7]), np.array([9, 12])]
    got = [np.array([0, 1, 2]), np.array([3, 6, 8]), np.array([9, 13])]
    assert first_link_difference(["s_axis", "a", "m_axis"], model, got) == (
        "first link to differ: link 1 'a', word 1: transferred at cycle 6, pipeline model "
        "says cycle 5 (3 words on the link, model 3)")
    # a link that stops short: the missing word is "never" transferred
    short = [model[0], np.array([3]), np.array([9, 12])]
    assert "link 1 'a', word 1: transferred at never" in first_link_difference(
        ["s_axis", "a", "m_axis"], model, short)
    assert first_link_difference(["s", "a", "m"], model, model) == ""
    assert first_link_difference(["s", "a", "m"], model, ()) == ""


@pytest.mark.rtlsim
def test_stitched_cycle_mismatch_names_the_first_link(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline model made wrong on the first internal link (every word one cycle late)
    and on the output's last word: the report names the internal link, word 0."""
    import qsim.verify  # noqa: F401  (registers the built-in levels)
    from qsim.pipeline.plan import Stitched
    from qsim.verify import _stitched_level  # noqa: F401  (registers rtlsim-stitched)
    from qsim.verify.levels import Context
    from qsim.verify.runner import run_levels

    real = Stitched.simulate

    def wrong(self: Stitched, *args: Any, **kwargs: Any) -> Any:
        g = real(self, *args, **kwargs)  # read-only views: replace two links' words
        words = list(g.words)
        words[1] = words[1] + 1
        words[-1] = words[-1].copy()
        words[-1][-1] += 1
        return dataclasses.replace(g, words=tuple(words))

    monkeypatch.setattr(Stitched, "simulate", wrong)
    design = tiny_conv()
    name = stitch(design).link_names[1]
    res = run_levels(design, random_input(design, 2, seed=1), ["model", "rtlsim-stitched"],
                     Context())
    assert len(res.mismatches) == 1
    assert re.search(rf"first link to differ: link 1 {re.escape(repr(name))}, word 0: "
                     rf"transferred at cycle (\d+), pipeline model says cycle (\d+)",
                     str(res.mismatches[0])), str(res.mismatches[0])
