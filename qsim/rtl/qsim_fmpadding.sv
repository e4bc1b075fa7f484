// qsim_fmpadding: zero padding of an NHWC image (FINN FMPadding_Batch / FMPadding_hls).
//
// Maths:    (H, W, C) -> (OH, OW, C), OH = PAD_T + H + PAD_B, OW = PAD_L + W + PAD_R;
//           y[oy, ox, c] = x[oy - PAD_T, ox - PAD_L, c] inside the copied window
//           (PAD_T <= oy < PAD_T + H and PAD_L <= ox < PAD_L + W), else 0 (the all-zero word;
//           the element type must hold 0, so no BIPOLAR).
// Folding:  C % SIMD == 0; NF = C / SIMD words per pixel, SIMD lanes per word in and out.
// Engine:   2-word input buffer (qsim_ibuf); one step per OUTPUT word in raster order
//           (oy, ox, cf), each writing the 1-word output register. An interior step needs the
//           next input word (it fires from the cycle after that word was accepted) and pops it;
//           a padding step needs nothing and pops nothing. A step fires iff the output register
//           is empty or being emptied (and, interior, the buffer head is valid).
// Latency:  2 cycles from the first accept to the first transfer when PAD_T = PAD_L = 0;
//           with top/left padding the first padding words leave from cycle 1 without input.
// II:       1 output word per cycle (OH*OW*NF cycles per frame).
// Model:    qsim/models/fmpadding.py (FMPadding.schedule, capacity 2).
//
//   cycle      0    1    2    3    4    5    6   (H = W = 1, C = SIMD, padding (0, 1, 0, 1))
//   in  acc    x0   x0'  x0'' .    .    x0'''    (x0'' enters when x0's slot frees)
//   step       p    x0   p    p'   x0'  p'       (p: padding step, no input needed)
//   out xfr    .    0    x0   0    0    x0'  0
`default_nettype none

module qsim_fmpadding #(
  parameter int unsigned H     = 2,  // input image height
  parameter int unsigned W     = 2,  // input image width
  parameter int unsigned C     = 2,  // channels
  parameter int unsigned SIMD  = 1,  // channels per word
  parameter int unsigned PAD_T = 1,  // zero rows above the image
  parameter int unsigned PAD_L = 1,  // zero columns left of the image
  parameter int unsigned PAD_B = 1,  // zero rows below the image
  parameter int unsigned PAD_R = 1,  // zero columns right of the image
  parameter int unsigned IBITS = 4   // element bits
) (
  input  wire logic                  clk_i,
  input  wire logic                  rst_ni,
  input  wire logic                  in_valid_i,
  output      logic                  in_ready_o,
  input  wire logic [SIMD*IBITS-1:0] in_data_i,
  output      logic                  out_valid_o,
  input  wire logic                  out_ready_i,
  output      logic [SIMD*IBITS-1:0] out_data_o
);

  localparam int unsigned NF  = (C / SIMD > 0) ? C / SIMD : 1;
  localparam int unsigned OH  = PAD_T + H + PAD_B;
  localparam int unsigned OW  = PAD_L + W + PAD_R;
  localparam int unsigned DW  = SIMD * IBITS;
  localparam int unsigned NFW = (NF > 1) ? $clog2(NF) : 1;
  localparam int unsigned OHW = (OH > 1) ? $clog2(OH) : 1;
  localparam int unsigned OWW = (OW > 1) ? $clog2(OW) : 1;

  if (C % SIMD != 0) begin : gen_check_fold
    $fatal(1, "folding rule C %% SIMD == 0 violated: C=%0d, SIMD=%0d", C, SIMD);
  end

  // ---- input buffer ------------------------------------------------------------------------
  logic          head_valid;
  logic [DW-1:0] head_data;
  logic          fire, interior;

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
    .pop_i       (fire && interior)
  );

  // ---- step counters (oy, ox, cf) ------------------------------------------------------------
  logic [NFW-1:0] cf_q;
  logic [OWW-1:0] ox_q;
  logic [OHW-1:0] oy_q;
  logic           last_cf, last_ox, room;

  assign last_cf = (cf_q == NFW'(NF - 1));
  assign last_ox = (ox_q == OWW'(OW - 1));
  // oy - PAD_T < H as unsigned 32-bit arithmetic: false above the image (wraps) and below it
  assign interior = ((32'(oy_q) - PAD_T) < H) && ((32'(ox_q) - PAD_L) < W);
  assign fire     = room && (!interior || head_valid);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cf_q <= '0;
      ox_q <= '0;
      oy_q <= '0;
    end else if (fire) begin
      cf_q <= last_cf ? '0 : cf_q + NFW'(1);
      if (last_cf) begin
        ox_q <= last_ox ? '0 : ox_q + OWW'(1);
        if (last_ox) begin
          oy_q <= (oy_q == OHW'(OH - 1)) ? '0 : oy_q + OHW'(1);
        end
      end
    end
  end

  // ---- output register -----------------------------------------------------------------
  qsim_oreg #(.WIDTH(DW), .NAME("qsim_fmpadding output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire),
    .data_i     (interior ? head_data : '0),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(DW), .NAME("qsim_fmpadding input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
`endif

endmodule

`default_nettype wire
