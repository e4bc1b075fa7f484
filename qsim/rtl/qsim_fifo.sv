// qsim_fifo: a stream FIFO with registered outputs, built on the qsim engine skeleton.
//
// Structure: a DEPTH-word input buffer (qsim_ibuf) and a 1-word output register; a word moves
// from the buffer's head to the output register in cycle t iff it was accepted before t and the
// output register is empty or being emptied in cycle t. The FIFO therefore holds up to
// DEPTH + 1 words. Cycle model: qsim.rtlsim.fifo_model.Fifo, i.e. a qsim Schedule whose frame
// is one word (need 0, produce 1, free 1) with capacity DEPTH:
//
//   a[i] = max(offer[i], a[i-1] + 1, s[i-DEPTH] + 1)      word i accepted
//   s[i] = max(s[i-1] + 1, a[i] + 1, x[i-1])              word i enters the output register
//   x[i] = first ready cycle >= s[i] + 1                   word i transferred
//
// Latency: 2 cycles from accept to transfer.  II: 1 word per cycle for DEPTH >= 2 (DEPTH = 1: 2).
//
//   cycle      0    1    2    3
//   in  acc    w0   w1   w2   w3
//   step       .    w0   w1   w2
//   out xfr    .    .    w0   w1
`default_nettype none

module qsim_fifo #(
  parameter int unsigned DEPTH = 2,  // input-buffer words (total storage DEPTH + 1)
  parameter int unsigned WIDTH = 8   // bits per word
) (
  input  wire logic             clk_i,
  input  wire logic             rst_ni,
  input  wire logic             in_valid_i,
  output      logic             in_ready_o,
  input  wire logic [WIDTH-1:0] in_data_i,
  output      logic             out_valid_o,
  input  wire logic             out_ready_i,
  output      logic [WIDTH-1:0] out_data_o
);

  logic             head_valid, fire, room;
  logic [WIDTH-1:0] head_data;

  qsim_ibuf #(
    .DEPTH(DEPTH),
    .WIDTH(WIDTH)
  ) u_ibuf (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (in_valid_i),
    .in_ready_o  (in_ready_o),
    .in_data_i   (in_data_i),
    .head_valid_o(head_valid),
    .head_data_o (head_data),
    .pop_i       (fire)
  );

  assign fire = head_valid && room;

  qsim_oreg #(.WIDTH(WIDTH), .NAME("qsim_fifo output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire),
    .data_i     (head_data),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(WIDTH), .NAME("qsim_fifo input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
`endif

endmodule

`default_nettype wire
