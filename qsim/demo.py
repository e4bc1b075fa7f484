"""End-to-end demo run by ``make demo``.

TODO(lead): replace this placeholder with the real demo (export a small quantized network,
verify it at every level, write a report).
"""

from __future__ import annotations

import sys


def main() -> int:
    """Run the demo; returns the process exit status."""
    print("demo not yet implemented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
