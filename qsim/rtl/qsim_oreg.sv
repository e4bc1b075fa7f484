// qsim_oreg: the one-word output register of the qsim engine skeleton (qsim/models/_schedule.py).
//
// out_valid_o and out_data_o are flops. A producing engine step may fire in cycle t only when
// the register is empty or is being emptied in that cycle:
//
//   room_o in cycle t = !out_valid_o || out_ready_i      (an internal signal of the core)
//
// A load in cycle t (load_i, which the core asserts only with room_o) makes the word valid from
// cycle t + 1; a word moves at edge t when out_valid_o && out_ready_i. The output port is
// protocol-checked here (qsim_stream_check), so every core carries exactly one such check.
//
//   clk        _/^\_/^\_/^\_/^\_
//   load        1   0   1   0
//   out_ready   0   0   1   1
//   out_valid   0   1   1   1        (the second load replaces the word moved in cycle 2)
//   cycle       0   1   2   3
`default_nettype none

module qsim_oreg #(
  parameter int unsigned WIDTH = 8,   // bits per word
  parameter string       NAME  = ""   // output port name used in protocol messages
) (
  input  wire logic             clk_i,
  input  wire logic             rst_ni,
  input  wire logic             load_i,
  input  wire logic [WIDTH-1:0] data_i,
  output      logic             room_o,
  output      logic             out_valid_o,
  input  wire logic             out_ready_i,
  output      logic [WIDTH-1:0] out_data_o
);

  logic             out_valid_q;
  logic [WIDTH-1:0] out_data_q;

  assign room_o = !out_valid_q || out_ready_i;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      out_valid_q <= 1'b0;
    end else if (load_i) begin
      out_valid_q <= 1'b1;
    end else if (out_ready_i) begin
      out_valid_q <= 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (load_i) begin
      out_data_q <= data_i;
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(WIDTH), .NAME(NAME)) u_check_out (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(out_valid_q), .ready_i(out_ready_i),
    .data_i(out_data_q)
  );
`endif

endmodule

`default_nettype wire
