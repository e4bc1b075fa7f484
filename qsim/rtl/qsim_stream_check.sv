// qsim_stream_check: simulation-only protocol checker for one valid/ready stream.
//
// Rules (DESIGN.md section 5), checked at every rising edge after reset:
//   * once valid is high and ready low, valid stays high and data stays stable next cycle;
//   * data carries no unknown bits while valid is high.
// Instantiated by every qsim core on its input and output ports; it has no outputs and
// elaborates to nothing under SYNTHESIS.
`default_nettype none

module qsim_stream_check #(
  parameter int unsigned WIDTH = 8,  // bits per word
  parameter string       NAME  = ""  // port name used in messages
) (
  input wire logic             clk_i,
  input wire logic             rst_ni,
  input wire logic             valid_i,
  input wire logic             ready_i,
  input wire logic [WIDTH-1:0] data_i
);

`ifndef SYNTHESIS
  logic             stall_q;
  logic [WIDTH-1:0] data_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      stall_q <= 1'b0;
    end else begin
      stall_q <= valid_i && !ready_i;
    end
    data_q <= data_i;
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!stall_q || (valid_i && data_i == data_q))
        else $error("%s: valid dropped or data changed while stalled (valid && !ready)", NAME);
      assert (!valid_i || !$isunknown(data_i))
        else $error("%s: unknown bits on data while valid", NAME);
    end
  end
`else
  logic unused_ports;
  assign unused_ports = ^{clk_i, rst_ni, valid_i, ready_i, data_i};
`endif

endmodule

`default_nettype wire
