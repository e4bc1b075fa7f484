// qsim_maxpool: non-overlapping KH x KW max pooling of an NHWC image (FINN StreamingMaxPool).
//
// Maths:    y[oy, ox, c] = max_{a<KH, b<KW} x[oy*KH + a, ox*KW + b, c]
//           (INTn: signed compare; UINTn, BINARY (= OR) and BIPOLAR (wire bit 1 = +1, so the
//           max is the OR of the bits): unsigned compare of the wire codes)
// Folding:  H % KH == 0, W % KW == 0, C % PE == 0; NF = C / PE.
// Engine:   2-word input buffer (qsim_ibuf); one step per input word in stream order
//           (y, x, cf), tracked by counters kh = y % KH, ox = x / KW, kw = x % KW and cf.
//           A row of OW*NF running maxima holds the partial windows; the step at
//           kh == KH-1 && kw == KW-1 writes the window's maximum to the 1-word output register
//           (it fires only when that register is empty or being emptied in the same cycle).
// Latency:  ((KH-1)*W + KW-1)*NF + 2 cycles from the first accept to the first transfer.
// II:       1 input word per cycle (H*W*NF cycles per frame).
// Model:    qsim/models/maxpool.py (MaxPool.schedule, capacity 2).
//
//   cycle      0    1    2    3    4    5        (H=W=K=2, C=PE: 4 words in, 1 out)
//   in  acc    x00  x01  x10  x11  x00'
//   step       .    x00  x01  x10  x11  x00'
//   out xfr    .    .    .    .    .    y0
`default_nettype none

module qsim_maxpool #(
  parameter int unsigned H       = 4,     // image height
  parameter int unsigned W       = 4,     // image width
  parameter int unsigned C       = 2,     // channels
  parameter int unsigned KH      = 2,     // kernel (= stride) height
  parameter int unsigned KW      = 2,     // kernel (= stride) width
  parameter int unsigned PE      = 1,     // channels per word
  parameter int unsigned IBITS   = 4,     // element bits
  parameter bit          ISIGNED = 1'b1   // INTn elements (signed compare)
) (
  input  wire logic                clk_i,
  input  wire logic                rst_ni,
  input  wire logic                in_valid_i,
  output      logic                in_ready_o,
  input  wire logic [PE*IBITS-1:0] in_data_i,
  output      logic                out_valid_o,
  input  wire logic                out_ready_i,
  output      logic [PE*IBITS-1:0] out_data_o
);

  localparam int unsigned NF   = (C / PE > 0) ? C / PE : 1;
  localparam int unsigned OW   = (W / KW > 0) ? W / KW : 1;
  localparam int unsigned DW   = PE * IBITS;
  localparam int unsigned NFW  = (NF > 1) ? $clog2(NF) : 1;
  localparam int unsigned OWW  = (OW > 1) ? $clog2(OW) : 1;
  localparam int unsigned KHW  = (KH > 1) ? $clog2(KH) : 1;
  localparam int unsigned KWW  = (KW > 1) ? $clog2(KW) : 1;
  localparam int unsigned ROWS = OW * NF;  // running maxima, one per (ox, cf)
  localparam int unsigned RW   = (ROWS > 1) ? $clog2(ROWS) : 1;

  if (H % KH != 0) begin : gen_check_fold_h
    $fatal(1, "folding rule H %% K == 0 violated: H=%0d, K=%0d", H, KH);
  end
  if (W % KW != 0) begin : gen_check_fold_w
    $fatal(1, "folding rule W %% K == 0 violated: W=%0d, K=%0d", W, KW);
  end
  if (C % PE != 0) begin : gen_check_fold_c
    $fatal(1, "folding rule C %% PE == 0 violated: C=%0d, PE=%0d", C, PE);
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

  // ---- step counters (y, x, cf) as (kh, ox, kw, cf) ------------------------------------------
  logic [NFW-1:0] cf_q;
  logic [KWW-1:0] kw_q;
  logic [OWW-1:0] ox_q;
  logic [KHW-1:0] kh_q;
  logic           last_cf, last_kw, last_ox, first_tap, last_tap;
  logic           room;  // the output register can take a word this cycle

  assign last_cf   = (cf_q == NFW'(NF - 1));
  assign last_kw   = (kw_q == KWW'(KW - 1));
  assign last_ox   = (ox_q == OWW'(OW - 1));
  assign first_tap = (kh_q == '0) && (kw_q == '0);
  assign last_tap  = (kh_q == KHW'(KH - 1)) && last_kw;
  assign fire      = head_valid && (!last_tap || room);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cf_q <= '0;
      kw_q <= '0;
      ox_q <= '0;
      kh_q <= '0;
    end else if (fire) begin
      cf_q <= last_cf ? '0 : cf_q + NFW'(1);
      if (last_cf) begin
        kw_q <= last_kw ? '0 : kw_q + KWW'(1);
        if (last_kw) begin
          ox_q <= last_ox ? '0 : ox_q + OWW'(1);
          if (last_ox) begin
            kh_q <= (kh_q == KHW'(KH - 1)) ? '0 : kh_q + KHW'(1);
          end
        end
      end
    end
  end

  // ---- running maxima ------------------------------------------------------------------
  logic [DW-1:0] row_q [ROWS];
  logic [RW-1:0] row_idx;
  logic [DW-1:0] row_val, m;

  assign row_idx = RW'(32'(ox_q) * NF + 32'(cf_q));
  assign row_val = row_q[row_idx];

  for (genvar p = 0; p < PE; p++) begin : gen_lane
    logic [IBITS-1:0] a, b;
    logic             b_greater;
    assign a = row_val[p*IBITS +: IBITS];
    assign b = head_data[p*IBITS +: IBITS];
    if (ISIGNED) begin : gen_signed
      assign b_greater = $signed(b) > $signed(a);
    end else begin : gen_unsigned
      assign b_greater = b > a;
    end
    assign m[p*IBITS +: IBITS] = (first_tap || b_greater) ? b : a;
  end

  always_ff @(posedge clk_i) begin
    if (fire && !last_tap) begin
      row_q[row_idx] <= m;
    end
  end

  // ---- output register -----------------------------------------------------------------
  qsim_oreg #(.WIDTH(DW), .NAME("qsim_maxpool output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire && last_tap),
    .data_i     (m),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(DW), .NAME("qsim_maxpool input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
`endif

endmodule

`default_nettype wire
