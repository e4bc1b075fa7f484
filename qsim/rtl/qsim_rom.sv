// qsim_rom: read-only memory with a registered (synchronous) read, initialised by $readmemh.
//
//   data_o <= mem[addr_i]   at every rising edge (no enable: the caller presents the address of
//                           the word it needs in the NEXT cycle, i.e. it reads ahead)
//
// This is the template both Vivado and yosys infer as block RAM (RAMB18E1/RAMB36E1) or as LUT
// ROM: an unpacked array with constant contents and one synchronous read port. STYLE picks the
// mapping (FINN's ram_style after qsim resolved "auto", see docs/synth.md):
//   "block"       (* rom_style = "block" *): block RAM in Vivado and yosys
//   "distributed" (* rom_style = "distributed" *) in Vivado (LUTs as ROM); yosys maps a LUTRAM
//                 only when the memory has a write port, so under yosys (QSIM_YOSYS defined
//                 by qsim.synth) the same memory is marked "logic", which yosys builds from
//                 LUTs and the output flops: the hardware Vivado makes of a distributed ROM.
// FILE is the .mem file (one hex word per line, word 0 first) the generator writes from the
// block config; "" leaves the memory at zero (lint of the core on its own).
// Latency: 1 cycle from addr_i to data_o.
`default_nettype none

module qsim_rom #(
  parameter int unsigned WIDTH = 8,        // bits per word
  parameter int unsigned DEPTH = 2,        // words
  parameter string       FILE  = "",       // $readmemh file ("" : all zero)
  parameter string       STYLE = "block",  // "block" or "distributed"
  localparam int unsigned AW   = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
  input  wire logic             clk_i,
  input  wire logic [AW-1:0]    addr_i,
  output      logic [WIDTH-1:0] data_o
);

  if (STYLE != "block" && STYLE != "distributed") begin : gen_check_style
    $fatal(1, "qsim_rom: STYLE must be \"block\" or \"distributed\", got \"%s\"", STYLE);
  end

  if (STYLE == "block") begin : gen_block
    (* rom_style = "block", ram_style = "block" *)
    logic [WIDTH-1:0] mem [DEPTH];
    initial begin
      if (FILE != "") begin
        $readmemh(FILE, mem);
      end else begin
        for (int unsigned i = 0; i < DEPTH; i++) mem[i] = '0;
      end
    end
    always_ff @(posedge clk_i) begin
      data_o <= mem[addr_i];
    end
  end else begin : gen_distributed
`ifdef QSIM_YOSYS
    (* rom_style = "logic" *)
`else
    (* rom_style = "distributed", ram_style = "distributed" *)
`endif
    logic [WIDTH-1:0] mem [DEPTH];
    initial begin
      if (FILE != "") begin
        $readmemh(FILE, mem);
      end else begin
        for (int unsigned i = 0; i < DEPTH; i++) mem[i] = '0;
      end
    end
    always_ff @(posedge clk_i) begin
      data_o <= mem[addr_i];
    end
  end

endmodule

`default_nettype wire
