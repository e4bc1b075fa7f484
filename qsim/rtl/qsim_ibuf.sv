// qsim_ibuf: the input buffer of the qsim engine skeleton (qsim/models/_schedule.py).
//
// A first-in first-out store of DEPTH words with a *registered* ready:
//
//   in_ready_o in cycle t  =  (words accepted before t) - (words popped before t) < DEPTH
//   head_valid_o in cycle t =  (words accepted before t) - (words popped before t) > 0
//
// A word accepted at edge t (in_valid_i && in_ready_o in cycle t) is visible at the head from
// cycle t + 1 on; a pop in cycle t frees its slot for the ready computed at edge t, i.e. in_ready_o
// can rise in cycle t + 1. Every output is a flop or a decode of flops: no input-to-output path.
//
// Reset (synchronous, active low) empties the buffer and sets in_ready_o, so a word offered in
// cycle 0 (the first rising edge after reset) is accepted.
//
// Latency: 1 cycle from accept to head.  II: 1 word per cycle for DEPTH >= 2 (DEPTH = 1: 2 cycles).
//
//   clk        _/^\_/^\_/^\_/^\_/^\_
//   in_valid    1   1   0   0
//   in_ready    1   1   0   1          (DEPTH = 2, no pop until cycle 2)
//   head_valid  0   1   1   1
//   pop         0   0   1   0
//   cycle       0   1   2   3
`default_nettype none

module qsim_ibuf #(
  parameter int unsigned DEPTH = 2,  // words the buffer holds (the engine's input capacity)
  parameter int unsigned WIDTH = 8   // bits per word
) (
  input  wire logic             clk_i,
  input  wire logic             rst_ni,
  input  wire logic             in_valid_i,
  output      logic             in_ready_o,
  input  wire logic [WIDTH-1:0] in_data_i,
  output      logic             head_valid_o,
  output      logic [WIDTH-1:0] head_data_o,
  input  wire logic             pop_i
);

  localparam int unsigned PW = (DEPTH > 1) ? $clog2(DEPTH) : 1;  // pointer bits
  localparam int unsigned CW = $clog2(DEPTH + 1);                 // occupancy bits

  if (DEPTH < 1) begin : gen_check_depth
    $fatal(1, "qsim_ibuf: DEPTH >= 1 violated");
  end

  logic [WIDTH-1:0] mem_q [DEPTH];
  logic [PW-1:0]    wr_ptr_q, rd_ptr_q;
  logic [CW-1:0]    occ_q, occ_d;
  logic             in_ready_q;
  logic             accept;

  assign accept = in_valid_i && in_ready_q;
  assign occ_d  = occ_q + CW'(accept) - CW'(pop_i);

  function automatic logic [PW-1:0] next_ptr(input logic [PW-1:0] ptr);
    return (ptr == PW'(DEPTH - 1)) ? '0 : ptr + PW'(1);
  endfunction

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      occ_q      <= '0;
      in_ready_q <= 1'b1;
      wr_ptr_q   <= '0;
      rd_ptr_q   <= '0;
    end else begin
      occ_q      <= occ_d;
      in_ready_q <= (occ_d < CW'(DEPTH));
      if (accept) begin
        wr_ptr_q <= next_ptr(wr_ptr_q);
      end
      if (pop_i) begin
        rd_ptr_q <= next_ptr(rd_ptr_q);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (accept) begin
      mem_q[wr_ptr_q] <= in_data_i;
    end
  end

  assign in_ready_o   = in_ready_q;
  assign head_valid_o = (occ_q != '0);
  assign head_data_o  = mem_q[rd_ptr_q];

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!pop_i || head_valid_o)
        else $error("qsim_ibuf: pop of an empty buffer");
    end
  end
`endif

endmodule

`default_nettype wire
