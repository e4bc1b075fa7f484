"""qsim regression farm: suites of models x foldings x levels x seeds, fuzz shards, bulk
rtlsim-stitched shards and golden cases as Dask distributed tasks, with durable results.

``qsim regress SUITE.toml --out DIR`` is the command (:mod:`qsim.verify.cli_regress`);
docs/farm.md describes the suite format and the result store.
"""

from qsim.farm._farm import FarmOptions, run_suite
from qsim.farm._suite import Job, ModelRef, Suite, load_suite

__all__ = ["FarmOptions", "Job", "ModelRef", "Suite", "load_suite", "run_suite"]
