"""Board hand-off: the Pynq-Z2 deployment package, the emulated board and throughput prediction.

* :mod:`qsim.board.dma`: the AXI DMA as pipeline stages, stream layout in memory, predicted
  cycles and FINN's throughput fields (:func:`~qsim.board.dma.predict`);
* :mod:`qsim.board.stream`: words <-> DMA buffer bytes on qsim's side;
* :mod:`qsim.board.board_run`: one DMA transfer with the design in native rtlsim;
* :mod:`qsim.board.emulator`: the stand-in for the few pynq calls the driver makes;
* :mod:`qsim.board.package`: ``qsim bitstream``'s package writer; :mod:`qsim.board.tclcheck`:
  what can be checked of its TCL without Vivado.

docs/board.md describes the package and the numbers.
"""
