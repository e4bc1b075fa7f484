// qsim_global_acc_pool: per-channel sum over all pixels (FINN GlobalAccPool_Batch / _hls).
//
// Maths:    (H, W, C) -> (C,): y[c] = sum_{y, x} x[y, x, c] (no division: the 1/(H*W) is a
//           scale absorbed downstream). OBITS holds [H*W*min, H*W*max] (checked by the Python
//           config), so each lane is extended to OBITS bits (sign-extended INTn, zero-extended
//           UINTn/BINARY, BIPOLAR bit 0/1 -> -1/+1) and accumulated mod 2**OBITS, exactly.
// Folding:  C % PE == 0; NF = C / PE words per pixel, PE lanes in and out.
// Engine:   2-word input buffer (qsim_ibuf); one step per input word (pix, cf) in stream order,
//           which pops it. NF accumulators of PE lanes hold the partial sums; the step of pixel
//           0 starts them with the word, later steps add. The steps of the LAST pixel write
//           sum word cf to the 1-word output register instead (they fire only when it is empty
//           or being emptied).
// Latency:  (H*W - 1)*NF + 2 cycles from the first accept to the first transfer.
// II:       1 input word per cycle (H*W*NF cycles per frame).
// Model:    qsim/models/global_acc_pool.py (GlobalAccPool.schedule, capacity 2).
//
//   H*W = 2 pixels, C/PE = 2
//   cycle      0     1     2     3     4     5     6
//   in  acc   x00   x01   x10   x11   x00'  x01'
//   step       .    x00   x01   x10   x11   x00'  x01'
//   out xfr    .     .     .     .    y0    y1
`default_nettype none

module qsim_global_acc_pool #(
  parameter int unsigned H     = 2,  // image height
  parameter int unsigned W     = 2,  // image width
  parameter int unsigned C     = 2,  // channels
  parameter int unsigned PE    = 1,  // channels per word
  parameter int unsigned IBITS = 4,  // input element bits
  parameter int unsigned IKIND = 1,  // input kind: 0 unsigned/BINARY, 1 signed, 2 BIPOLAR
  parameter int unsigned OBITS = 6   // output element bits (odt, holds the exact sum range)
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

  localparam int unsigned NF   = (C / PE > 0) ? C / PE : 1;
  localparam int unsigned NPIX = H * W;
  localparam int unsigned DW   = PE * IBITS;
  localparam int unsigned OW   = PE * OBITS;
  localparam int unsigned NFW  = (NF > 1) ? $clog2(NF) : 1;
  localparam int unsigned PXW  = (NPIX > 1) ? $clog2(NPIX) : 1;

  if (C % PE != 0) begin : gen_check_fold
    $fatal(1, "folding rule C %% PE == 0 violated: C=%0d, PE=%0d", C, PE);
  end
  if (OBITS < IBITS) begin : gen_check_obits
    $fatal(1, "qsim_global_acc_pool: OBITS >= IBITS violated: OBITS=%0d, IBITS=%0d",
           OBITS, IBITS);
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

  // ---- step counters (pix, cf) --------------------------------------------------------------
  logic [NFW-1:0] cf_q;
  logic [PXW-1:0] pix_q;
  logic           last_cf, first_pix, last_pix, room;

  assign last_cf   = (cf_q == NFW'(NF - 1));
  assign first_pix = (pix_q == '0);
  assign last_pix  = (pix_q == PXW'(NPIX - 1));
  assign fire      = head_valid && (!last_pix || room);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cf_q  <= '0;
      pix_q <= '0;
    end else if (fire) begin
      cf_q <= last_cf ? '0 : cf_q + NFW'(1);
      if (last_cf) begin
        pix_q <= last_pix ? '0 : pix_q + PXW'(1);
      end
    end
  end

  // ---- accumulators ------------------------------------------------------------------------
  logic [OW-1:0] acc_q [NF];
  logic [OW-1:0] acc, sum;

  assign acc = acc_q[cf_q];

  for (genvar p = 0; p < PE; p++) begin : gen_lane
    logic [IBITS-1:0] b;
    logic [OBITS-1:0] bx;
    assign b = head_data[p*IBITS +: IBITS];
    if (IKIND == 2) begin : gen_bipolar
      assign bx = b[0] ? OBITS'(1) : {OBITS{1'b1}};
    end else if (IKIND == 1) begin : gen_signed
      assign bx = OBITS'($signed(b));
    end else begin : gen_unsigned
      assign bx = OBITS'(b);
    end
    assign sum[p*OBITS +: OBITS] = (first_pix ? '0 : acc[p*OBITS +: OBITS]) + bx;
  end

  always_ff @(posedge clk_i) begin
    if (fire && !last_pix) begin
      acc_q[cf_q] <= sum;
    end
  end

  // ---- output register -----------------------------------------------------------------
  qsim_oreg #(.WIDTH(OW), .NAME("qsim_global_acc_pool output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire && last_pix),
    .data_i     (sum),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(DW), .NAME("qsim_global_acc_pool input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );

  // ---- running-sum range: after k pixels every lane lies in [k*IMIN, k*IMAX] (the input
  // type's ends), so the output holds [NPIX*IMIN, NPIX*IMAX]; a narrow OBITS wraps out of it
  localparam longint IMIN = (IKIND == 2) ? -64'sd1 : (IKIND == 1) ?
                            -(64'sd1 <<< (IBITS - 1)) : 64'sd0;
  localparam longint IMAX = (IKIND == 2) ? 64'sd1 : (IKIND == 1) ?
                            (64'sd1 <<< (IBITS - 1)) - 64'sd1 : (64'sd1 <<< IBITS) - 64'sd1;
  if (OBITS <= 62) begin : gen_check_sum
    for (genvar p = 0; p < PE; p++) begin : gen_lane_sum
      longint v, k;
      always_comb begin
        v = (IKIND != 0) ? longint'($signed(sum[p*OBITS +: OBITS]))
                         : longint'({1'b0, sum[p*OBITS +: OBITS]});
        k = longint'(pix_q) + 64'sd1;
      end
      always_ff @(posedge clk_i) begin
        if (rst_ni && fire) begin
          assert (v >= k * IMIN && v <= k * IMAX)
            else $error("qsim_global_acc_pool sum: lane %0d value %0d outside [%0d, %0d] %s",
                        p, v, k * IMIN, k * IMAX, $sformatf("after %0d pixel(s), channel fold %0d",
                                                          k, cf_q));
        end
      end
    end
  end
`endif

endmodule

`default_nettype wire
