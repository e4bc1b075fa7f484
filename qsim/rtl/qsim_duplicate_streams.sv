// qsim_duplicate_streams: one stream to N identical streams (FINN DuplicateStreams_Batch / _hls).
//
// Maths:    y_n = x for every output port n < N_OUT (identity, PE channels per word).
// Folding:  C % PE == 0; NF = C / PE words per frame (one pixel).
// Engine:   2-word input buffer (qsim_ibuf); one step per input word, which pops it and loads
//           the word into EVERY output port's own 1-word register (qsim_oreg, its own valid and
//           ready). A word leaves only when every output can take it: a step fires in cycle t
//           iff the head is valid and every output register is empty or being emptied in t.
//           Ports therefore never get ahead of each other by more than one word.
// Latency:  2 cycles from accept to transfer.   II: 1 word per cycle.
// Model:    qsim/models/duplicate_streams.py (DuplicateStreams.schedule, capacity 2); with
//           the same ready pattern on every port each port's transfers are the model's.
//
//   C = PE, 6 words, output 0 always ready, output 1 ready low in cycles 2..9
//   cycle      0    1    2    3 ...  9   10   11   12   13   14   15
//   in  acc    w0   w1   w2   .  ...  .   .    w3   w4   w5
//   step       .    w0   .    .  ...  .   w1   w2   w3   w4   w5
//   out0 xfr   .    .    w0   .  ...  .   .    w1   w2   w3   w4   w5
//   out1 xfr   .    .    .    .  ...  .   w0   w1   w2   w3   w4   w5
`default_nettype none

module qsim_duplicate_streams #(
  parameter int unsigned C     = 2,  // channels per frame
  parameter int unsigned PE    = 1,  // channels per word
  parameter int unsigned IBITS = 4,  // element bits
  parameter int unsigned N_OUT = 2   // output ports
) (
  input  wire logic                      clk_i,
  input  wire logic                      rst_ni,
  input  wire logic                      in_valid_i,
  output      logic                      in_ready_o,
  input  wire logic [PE*IBITS-1:0]       in_data_i,
  // output port n: valid bit n, ready bit n, data bits [n*PE*IBITS +: PE*IBITS]
  output      logic [N_OUT-1:0]          out_valid_o,
  input  wire logic [N_OUT-1:0]          out_ready_i,
  output      logic [N_OUT*PE*IBITS-1:0] out_data_o
);

  localparam int unsigned DW = PE * IBITS;

  if (C % PE != 0) begin : gen_check_fold
    $fatal(1, "folding rule C %% PE == 0 violated: C=%0d, PE=%0d", C, PE);
  end
  if (N_OUT < 2) begin : gen_check_n_out
    $fatal(1, "qsim_duplicate_streams: n_outputs=%0d must be an int >= 2", N_OUT);
  end

  // ---- input buffer ------------------------------------------------------------------------
  logic          head_valid;
  logic [DW-1:0] head_data;
  logic          fire;

  qsim_ibuf #(
    .DEPTH(2),
    .WIDTH(DW)
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

  // ---- engine: a step fires when every output register has room ----------------------------
  logic [N_OUT-1:0] room;

  assign fire = head_valid && (&room);

  for (genvar n = 0; n < N_OUT; n++) begin : gen_out
    qsim_oreg #(.WIDTH(DW), .NAME($sformatf("qsim_duplicate_streams output %0d", n))) u_oreg (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .load_i     (fire),
      .data_i     (head_data),
      .room_o     (room[n]),
      .out_valid_o(out_valid_o[n]),
      .out_ready_i(out_ready_i[n]),
      .out_data_o (out_data_o[n*DW +: DW])
    );
  end

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(DW), .NAME("qsim_duplicate_streams input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
`endif

endmodule

`default_nettype wire
