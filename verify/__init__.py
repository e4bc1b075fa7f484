"""Cross-level verification flows (ref, model, cppsim, rtlsim); installed as ``qsim.verify``."""
