"""The C++ pieces of one block instance, as the code generator assembles them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Kernel"]


@dataclass(frozen=True)
class Kernel:
    """The C++ pieces of one block instance.

    ``decls``: namespace-scope constant definitions; ``call``: the kernel call inside the top
    function (streams ``in``/``out`` -- ``in0``, ``in1`` for two input ports, ``out`` an array
    of streams for several output ports --, frame count ``reps``); ``pragmas``: memory pragmas
    of the top function; ``header``: the ``hls/qsim`` header that defines the kernel.

    Run-time parameters (weights and thresholds read from memory, :mod:`qsim.cppsim._runtime`):
    ``top_params`` are the extra top-function parameters (between the streams and ``reps``),
    ``top_body`` the statements that load them into on-chip arrays before ``call``;
    ``entry_body`` the entry-point statements that rebuild them from the ``params`` uint64
    array (``n_params`` of them) and ``entry_args`` what the entry passes to the top function.
    ``label`` names the instance in comments: the block's owner, or only its shape and types
    when the source must not depend on the instance (run-time parameters).
    """

    block: Any
    header: str
    decls: tuple[str, ...]
    call: str
    pragmas: tuple[str, ...] = ()
    top_params: tuple[str, ...] = ()
    top_body: tuple[str, ...] = ()
    entry_body: tuple[str, ...] = ()
    entry_args: tuple[str, ...] = ()
    n_params: int = 0
    label: str = ""

    @property
    def in_bits(self) -> int:
        return int(self.block.in_stream.word_bits)

    @property
    def out_bits(self) -> int:
        return int(self.block.out_stream.word_bits)

    @property
    def in_ports(self) -> int:
        return int(getattr(self.block, "in_ports", 1))

    @property
    def out_ports(self) -> int:
        return int(getattr(self.block, "out_ports", 1))

    @property
    def in_widths(self) -> tuple[int, ...]:
        """Word bits of every input port (AddStreams' ports may differ)."""
        return tuple(int(self.block.in_stream_of(p).word_bits) for p in range(self.in_ports))

    @property
    def multiport(self) -> bool:
        """True for blocks with several input or output ports (the ``_ports`` entry point)."""
        return self.in_ports > 1 or self.out_ports > 1

    @property
    def in_names(self) -> tuple[str, ...]:
        """Input stream names of the top function: ``in``, or ``in0``, ``in1``, ..."""
        return ("in",) if self.in_ports == 1 else tuple(f"in{p}" for p in range(self.in_ports))
