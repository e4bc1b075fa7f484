// qsim_add_streams: element-wise sum of two streams (FINN AddStreams_Batch / _hls).
//
// Maths:    y[c] = a[c] + b[c], exact: OBITS holds [min_a + min_b, max_a + max_b] (checked by
//           the Python config), so each input lane is extended to OBITS bits (sign-extended
//           INTn, zero-extended UINTn/BINARY, BIPOLAR bit 0/1 -> -1/+1) and added mod 2**OBITS.
// Folding:  C % PE == 0; NF = C / PE words per frame (one pixel) on each port.
// Engine:   one 2-word input buffer (qsim_ibuf, registered ready) per input port; one step per
//           word pair, which pops word k of BOTH ports and writes the 1-word output register.
//           A step fires in cycle t iff both heads are valid (each word accepted before t) and
//           the output register is empty or being emptied in t.
// Latency:  2 cycles from the later of the two accepts to the transfer.   II: 1 word per cycle.
// Model:    qsim/models/add_streams.py (AddStreams.schedule, capacity 2); with the same offer
//           pattern on both inputs the accepts of each port are the model's.
//
//   C = PE, 4 words per port, port 1 offered one cycle after port 0
//   cycle      0    1    2    3    4    5    6
//   in0 acc    a0   a1   .    a2   a3                (port 0's buffer is full until step 0)
//   in1 acc    .    b0   b1   b2   b3
//   step       .    .    0    1    2    3
//   out xfr    .    .    .    y0   y1   y2   y3
`default_nettype none

module qsim_add_streams #(
  parameter int unsigned C      = 2,  // channels per frame
  parameter int unsigned PE     = 1,  // channels per word
  parameter int unsigned IBITS0 = 4,  // port 0 element bits
  parameter int unsigned IKIND0 = 1,  // port 0 kind: 0 unsigned/BINARY, 1 signed, 2 BIPOLAR
  parameter int unsigned IBITS1 = 4,  // port 1 element bits
  parameter int unsigned IKIND1 = 1,  // port 1 kind: 0 unsigned/BINARY, 1 signed, 2 BIPOLAR
  parameter int unsigned OBITS  = 5   // output element bits (odt, holds the exact sum range)
) (
  input  wire logic                 clk_i,
  input  wire logic                 rst_ni,
  input  wire logic                 in0_valid_i,
  output      logic                 in0_ready_o,
  input  wire logic [PE*IBITS0-1:0] in0_data_i,
  input  wire logic                 in1_valid_i,
  output      logic                 in1_ready_o,
  input  wire logic [PE*IBITS1-1:0] in1_data_i,
  output      logic                 out_valid_o,
  input  wire logic                 out_ready_i,
  output      logic [PE*OBITS-1:0]  out_data_o
);

  localparam int unsigned AW = PE * IBITS0;
  localparam int unsigned BW = PE * IBITS1;

  if (C % PE != 0) begin : gen_check_fold
    $fatal(1, "folding rule C %% PE == 0 violated: C=%0d, PE=%0d", C, PE);
  end
  if (OBITS < IBITS0 || OBITS < IBITS1) begin : gen_check_obits
    $fatal(1, "qsim_add_streams: OBITS >= input bits violated: OBITS=%0d, IBITS0=%0d, IBITS1=%0d",
           OBITS, IBITS0, IBITS1);
  end

  // ---- input buffers, one per port -----------------------------------------------------------
  logic          a_valid, b_valid, fire;
  logic [AW-1:0] a_data;
  logic [BW-1:0] b_data;

  qsim_ibuf #(
    .DEPTH(2),
    .WIDTH(AW)
  ) u_ibuf0 (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (in0_valid_i),
    .in_ready_o  (in0_ready_o),
    .in_data_i   (in0_data_i),
    .head_valid_o(a_valid),
    .head_data_o (a_data),
    .pop_i       (fire)
  );

  qsim_ibuf #(
    .DEPTH(2),
    .WIDTH(BW)
  ) u_ibuf1 (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (in1_valid_i),
    .in_ready_o  (in1_ready_o),
    .in_data_i   (in1_data_i),
    .head_valid_o(b_valid),
    .head_data_o (b_data),
    .pop_i       (fire)
  );

  // ---- engine: one step per word pair ------------------------------------------------------
  logic                room;  // the output register can take a word this cycle
  logic [PE*OBITS-1:0] sum;

  assign fire = a_valid && b_valid && room;

  for (genvar p = 0; p < PE; p++) begin : gen_lane
    logic [IBITS0-1:0] a;
    logic [IBITS1-1:0] b;
    logic [OBITS-1:0]  ax, bx;
    assign a = a_data[p*IBITS0 +: IBITS0];
    assign b = b_data[p*IBITS1 +: IBITS1];
    if (IKIND0 == 2) begin : gen_a_bipolar
      assign ax = a[0] ? OBITS'(1) : {OBITS{1'b1}};
    end else if (IKIND0 == 1) begin : gen_a_signed
      assign ax = OBITS'($signed(a));
    end else begin : gen_a_unsigned
      assign ax = OBITS'(a);
    end
    if (IKIND1 == 2) begin : gen_b_bipolar
      assign bx = b[0] ? OBITS'(1) : {OBITS{1'b1}};
    end else if (IKIND1 == 1) begin : gen_b_signed
      assign bx = OBITS'($signed(b));
    end else begin : gen_b_unsigned
      assign bx = OBITS'(b);
    end
    assign sum[p*OBITS +: OBITS] = ax + bx;
  end

  qsim_oreg #(.WIDTH(PE * OBITS), .NAME("qsim_add_streams output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire),
    .data_i     (sum),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(AW), .NAME("qsim_add_streams input 0")) u_check_in0 (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in0_valid_i), .ready_i(in0_ready_o),
    .data_i(in0_data_i)
  );
  qsim_stream_check #(.WIDTH(BW), .NAME("qsim_add_streams input 1")) u_check_in1 (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in1_valid_i), .ready_i(in1_ready_o),
    .data_i(in1_data_i)
  );

  // ---- sum range: every lane in [min0 + min1, max0 + max1] of the input types ---------------
  localparam longint SMIN = ((IKIND0 == 2) ? -64'sd1 : (IKIND0 == 1) ?
                             -(64'sd1 <<< (IBITS0 - 1)) : 64'sd0) +
                            ((IKIND1 == 2) ? -64'sd1 : (IKIND1 == 1) ?
                             -(64'sd1 <<< (IBITS1 - 1)) : 64'sd0);
  localparam longint SMAX = ((IKIND0 == 2) ? 64'sd1 : (IKIND0 == 1) ?
                             (64'sd1 <<< (IBITS0 - 1)) - 64'sd1 : (64'sd1 <<< IBITS0) - 64'sd1) +
                            ((IKIND1 == 2) ? 64'sd1 : (IKIND1 == 1) ?
                             (64'sd1 <<< (IBITS1 - 1)) - 64'sd1 : (64'sd1 <<< IBITS1) - 64'sd1);
  if (OBITS <= 62) begin : gen_check_sum
    for (genvar p = 0; p < PE; p++) begin : gen_lane_sum
      longint v;
      assign v = (IKIND0 != 0 || IKIND1 != 0) ? longint'($signed(sum[p*OBITS +: OBITS]))
                                              : longint'({1'b0, sum[p*OBITS +: OBITS]});
      always_ff @(posedge clk_i) begin
        if (rst_ni && fire) begin
          assert (v >= SMIN && v <= SMAX)
            else $error("qsim_add_streams sum: lane %0d value %0d outside [%0d, %0d]", p, v, SMIN,
                        SMAX);
        end
      end
    end
  end
`endif

endmodule

`default_nettype wire
