// qsim_thresholding: per-channel multi-threshold (FINN Thresholding_Batch), PE channels/word.
//
// Maths:    y[c] = ACT_VAL + #{s : x[c] >= T[c, s]}      (BIPOLAR odt: the bit #{...})
// Folding:  C % PE == 0; NF = C / PE words per frame; channel c = nf*PE + p sits in lane p.
// Engine:   2-word input buffer (qsim_ibuf), one step per input word (counter nf), each step
//           pops its word and writes the 1-word output register. A step fires in cycle t iff
//           its word was accepted before t and the output register is empty or being emptied.
// Latency:  2 cycles from accept to transfer.   II: 1 word per cycle.
// Memory:   the thresholds (NF words of PE*S*AW bits) are a qsim_rom (registered read,
//           $readmemh), addressed one word ahead: same cycles as with combinational thresholds.
// Model:    qsim/models/thresholding.py (Thresholding.schedule, capacity 2).
//
//   cycle      0    1    2    3
//   in  acc    w0   w1   w2   w3
//   step       .    w0   w1   w2
//   out xfr    .    .    y0   y1
`default_nettype none

module qsim_thresholding #(
  parameter int unsigned C        = 4,     // channels per frame
  parameter int unsigned PE       = 2,     // channels per word
  parameter int unsigned IBITS    = 4,     // input element bits
  parameter int unsigned IKIND    = 1,     // input kind: 0 unsigned, 1 signed, 2 BIPOLAR
  parameter int unsigned AW       = 5,     // signed compare width (holds inputs and thresholds)
  parameter int unsigned NTHR     = 1,     // thresholds per channel S
  parameter int unsigned OBITS    = 1,     // output element bits
  parameter bit          OBIPOLAR = 1'b0,  // BIPOLAR output
  parameter int          ACT_VAL  = 0,     // output when no threshold is passed
  parameter bit          T_BLOCK  = 1'b0,  // thresholds in block RAM (else LUT ROM)
  // .mem file of threshold_tiles() (PE, NF, S): line nf, threshold (p, s) in bits
  // [(p*S + s + 1)*AW-1 : (p*S + s)*AW] ("": all zero)
  parameter string       THRESHOLDS_FILE = "",
  localparam int unsigned NF      = (C / PE > 0) ? C / PE : 1
) (
  input  wire logic                clk_i,
  input  wire logic                rst_ni,
  input  wire logic                in_valid_i,
  output      logic                in_ready_o,
  input  wire logic [PE*IBITS-1:0] in_data_i,
  output      logic                out_valid_o,
  input  wire logic                out_ready_i,
  output      logic [PE*OBITS-1:0] out_data_o
);

  localparam int unsigned NFW = (NF > 1) ? $clog2(NF) : 1;

  if (C % PE != 0) begin : gen_check_fold
    $fatal(1, "folding rule C %% PE == 0 violated: C=%0d, PE=%0d", C, PE);
  end
  if (NTHR < 1) begin : gen_check_nthr
    $fatal(1, "qsim_thresholding: NTHR >= 1 violated");
  end

  // ---- input buffer ------------------------------------------------------------------------
  logic                head_valid;
  logic [PE*IBITS-1:0] head_data;
  logic                fire;

  qsim_ibuf #(
    .DEPTH(2),
    .WIDTH(PE * IBITS)
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

  // ---- engine: one step per word --------------------------------------------------------
  logic                room;  // the output register can take a word this cycle
  logic [NFW-1:0]      nf_q, nf_next, t_addr;
  logic [PE*NTHR*AW-1:0] t_row;  // thresholds of fold nf_q, (p, s) in [(p*S + s)*AW +: AW]
  logic [PE*AW-1:0]    val;
  logic [PE*OBITS-1:0] act;

  assign fire    = head_valid && room;
  assign nf_next = (nf_q == NFW'(NF - 1)) ? '0 : nf_q + NFW'(1);
  // read ahead: the row of the fold the counter holds after this edge (0 in reset)
  assign t_addr  = !rst_ni ? '0 : (fire ? nf_next : nf_q);

  qsim_rom #(
    .WIDTH(PE * NTHR * AW),
    .DEPTH(NF),
    .FILE (THRESHOLDS_FILE),
    .STYLE(T_BLOCK ? "block" : "distributed")
  ) u_thresholds (
    .clk_i (clk_i),
    .addr_i(t_addr),
    .data_o(t_row)
  );

  for (genvar p = 0; p < PE; p++) begin : gen_decode
    logic [IBITS-1:0] b;
    assign b = head_data[p*IBITS +: IBITS];
    if (IKIND == 2) begin : gen_bipolar
      assign val[p*AW +: AW] = b[0] ? AW'(1) : {AW{1'b1}};
    end else if (IKIND == 1) begin : gen_signed
      assign val[p*AW +: AW] = AW'($signed(b));
    end else begin : gen_unsigned
      assign val[p*AW +: AW] = AW'(b);
    end
  end

  qsim_threshold #(
    .PE        (PE),
    .AW        (AW),
    .NTHR      (NTHR),
    .OBITS     (OBITS),
    .OBIPOLAR  (OBIPOLAR),
    .ACT_VAL   (ACT_VAL)
  ) u_threshold (
    .val_i (val),
    .thr_i (t_row),
    .data_o(act)
  );

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      nf_q <= '0;
    end else if (fire) begin
      nf_q <= nf_next;
    end
  end

  qsim_oreg #(.WIDTH(PE * OBITS), .NAME("qsim_thresholding output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire),
    .data_i     (act),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(PE * IBITS), .NAME("qsim_thresholding input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
`endif

endmodule

`default_nettype wire
