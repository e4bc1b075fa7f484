// qsim_swg: sliding-window generator (FINN ConvolutionInputGenerator), the im2col stream.
//
// Maths:    for each output pixel (oy, ox) in raster order, emit the window in (kh, kw, cf)
//           order (DEPTHWISE: (cf, kh, kw)), SIMD channels per word. Output word (oy, ox, kh,
//           kw, cf) reads the frame-local input word
//             src = ((oy*SH + kh*DH)*W + ox*SW + kw*DW)*CF + cf,      CF = C / SIMD,
//           OH = (H - (KH-1)*DH - 1) / SH + 1 (same for OW); unused rows/columns are dropped.
// Folding:  C % SIMD == 0.
// Engine:   a circular buffer of BUF_WORDS words (the input capacity; the Python config's
//           buffer_words: one frame plus the rows one window spans). One step per output word;
//           a step fires in cycle t iff its src word was accepted before t and the output
//           register is empty or being emptied. The last word of each pixel frees the input
//           words below the next pixel's first word low = (oy*SH*W + ox*SW)*CF (the frame's
//           last pixel frees the rest of the frame).
// Latency:  2 cycles (the first output word reads input word 0).
// II:       max(input words, output words) per frame in steady state.
// Model:    qsim/models/sliding_window.py (SlidingWindow.schedule, capacity = buffer_words).
//
//   cycle      0    1    2    3    4    5        (H=W=2, C=SIMD, K=2: one pixel, 4 words)
//   in  acc    i0   i1   i2   i3
//   step       .    o0   o1   o2   o3
//   out xfr    .    .    o0   o1   o2   o3
`default_nettype none

module qsim_swg #(
  parameter int unsigned H         = 4,     // image height
  parameter int unsigned W         = 4,     // image width
  parameter int unsigned C         = 2,     // channels
  parameter int unsigned KH        = 2,     // kernel height
  parameter int unsigned KW        = 2,     // kernel width
  parameter int unsigned SH        = 1,     // stride (rows)
  parameter int unsigned SW        = 1,     // stride (columns)
  parameter int unsigned DH        = 1,     // dilation (rows)
  parameter int unsigned DW        = 1,     // dilation (columns)
  parameter int unsigned SIMD      = 1,     // channels per word
  parameter int unsigned IBITS     = 4,     // element bits
  parameter bit          DEPTHWISE = 1'b0,  // emit (cf, kh, kw) instead of (kh, kw, cf)
  parameter int unsigned BUF_WORDS = (H + (KH - 1) * DH + 1) * W * (C / SIMD)  // buffer depth
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

  localparam int unsigned CF       = (C / SIMD > 0) ? C / SIMD : 1;
  localparam int unsigned OH       = (H - (KH - 1) * DH - 1) / SH + 1;
  localparam int unsigned OW       = (W - (KW - 1) * DW - 1) / SW + 1;
  localparam int unsigned IN_WORDS = H * W * CF;
  localparam int unsigned WD       = SIMD * IBITS;
  localparam int unsigned BW       = (BUF_WORDS > 1) ? $clog2(BUF_WORDS) : 1;  // slot bits
  // Occupancy (accepted - freed) and avail (accepted - engine frame base) are signed: the last
  // pixel of a frame frees, and the engine may finish, the frame's trailing words that no
  // window reads before they are accepted, so both can go down to -IN_WORDS.
  localparam int unsigned OCW      = $clog2(BUF_WORDS + IN_WORDS + 1) + 1;    // occupancy bits
  localparam int unsigned AVW      = $clog2(IN_WORDS + BUF_WORDS + 1) + 1;    // avail bits

  if (C % SIMD != 0) begin : gen_check_fold
    $fatal(1, "folding rule C %% SIMD == 0 violated: C=%0d, SIMD=%0d", C, SIMD);
  end
  if ((KH - 1) * DH + 1 > H || (KW - 1) * DW + 1 > W) begin : gen_check_extent
    $fatal(1, "qsim_swg: dilated kernel extent (kernel-1)*dilation+1 exceeds the image");
  end
  if (BUF_WORDS < IN_WORDS) begin : gen_check_buf
    $fatal(1, "qsim_swg: BUF_WORDS >= H*W*C/SIMD violated: BUF_WORDS=%0d", BUF_WORDS);
  end

  // ---- step counters (oy, ox, kh, kw, cf) ------------------------------------------------
  localparam int unsigned OYW = (OH > 1) ? $clog2(OH) : 1;
  localparam int unsigned OXW = (OW > 1) ? $clog2(OW) : 1;
  localparam int unsigned KHW = (KH > 1) ? $clog2(KH) : 1;
  localparam int unsigned KWW = (KW > 1) ? $clog2(KW) : 1;
  localparam int unsigned CFW = (CF > 1) ? $clog2(CF) : 1;

  logic [OYW-1:0] oy_q;
  logic [OXW-1:0] ox_q;
  logic [KHW-1:0] kh_q;
  logic [KWW-1:0] kw_q;
  logic [CFW-1:0] cf_q;
  logic           last_oy, last_ox, last_kh, last_kw, last_cf;
  logic           last_of_pixel, last_of_frame;
  logic [31:0]    oy, ox, kh, kw, cf;  // the counters as 32-bit numbers for the index maths
  logic [31:0]    src, low, low_next;
  logic [$clog2(BUF_WORDS + IN_WORDS + 1):0] free_words;  // words freed by a pixel's last word

  assign {oy, ox, kh, kw, cf} = {32'(oy_q), 32'(ox_q), 32'(kh_q), 32'(kw_q), 32'(cf_q)};
  assign last_oy       = (oy == OH - 1);
  assign last_ox       = (ox == OW - 1);
  assign last_kh       = (kh == KH - 1);
  assign last_kw       = (kw == KW - 1);
  assign last_cf       = (cf == CF - 1);
  assign last_of_pixel = last_kh && last_kw && last_cf;
  assign last_of_frame = last_of_pixel && last_ox && last_oy;
  assign src           = ((oy * SH + kh * DH) * W + ox * SW + kw * DW) * CF + cf;
  assign low           = (oy * SH * W + ox * SW) * CF;
  assign low_next      = !last_ox ? low + SW * CF : (last_oy ? IN_WORDS : (oy + 1) * SH * W * CF);
  assign free_words    = ($clog2(BUF_WORDS + IN_WORDS + 1) + 1)'(low_next - low);

  // ---- circular input buffer ---------------------------------------------------------------
  logic [WD-1:0]  mem_q [BUF_WORDS];
  logic [BW-1:0]  wr_ptr_q, base_q, rd_ptr;
  logic signed [OCW-1:0] occ_q, occ_d;
  logic signed [AVW-1:0] avail_q, avail_d;  // accepted words counted from the frame's word 0
  logic           in_ready_q, accept, fire;
  logic           room;  // the output register can take a word this cycle
  logic [31:0]    rd_sum, base_sum;

  assign accept   = in_valid_i && in_ready_q;
  assign fire     = (32'(avail_q) > $signed(src)) && room;
  assign occ_d    = occ_q + OCW'(accept) - ((fire && last_of_pixel) ? free_words : '0);
  assign avail_d  = avail_q + AVW'(accept) - ((fire && last_of_frame) ? AVW'(IN_WORDS) : '0);
  assign rd_sum   = 32'(base_q) + src;
  assign rd_ptr   = BW'((rd_sum >= BUF_WORDS) ? rd_sum - BUF_WORDS : rd_sum);
  assign base_sum = 32'(base_q) + IN_WORDS;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wr_ptr_q   <= '0;
      base_q     <= '0;
      occ_q      <= '0;
      avail_q    <= '0;
      in_ready_q <= 1'b1;
    end else begin
      occ_q      <= occ_d;
      avail_q    <= avail_d;
      in_ready_q <= (occ_d < $signed(OCW'(BUF_WORDS)));
      if (accept) begin
        wr_ptr_q <= (wr_ptr_q == BW'(BUF_WORDS - 1)) ? '0 : wr_ptr_q + BW'(1);
      end
      if (fire && last_of_frame) begin
        base_q <= BW'((base_sum >= BUF_WORDS) ? base_sum - BUF_WORDS : base_sum);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (accept) begin
      mem_q[wr_ptr_q] <= in_data_i;
    end
  end

  // ---- counter update in stream order ------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      oy_q <= '0;
      ox_q <= '0;
      kh_q <= '0;
      kw_q <= '0;
      cf_q <= '0;
    end else if (fire) begin
      if (DEPTHWISE) begin  // (oy, ox, cf, kh, kw)
        kw_q <= last_kw ? '0 : kw_q + KWW'(1);
        if (last_kw) kh_q <= last_kh ? '0 : kh_q + KHW'(1);
        if (last_kw && last_kh) cf_q <= last_cf ? '0 : cf_q + CFW'(1);
      end else begin        // (oy, ox, kh, kw, cf)
        cf_q <= last_cf ? '0 : cf_q + CFW'(1);
        if (last_cf) kw_q <= last_kw ? '0 : kw_q + KWW'(1);
        if (last_cf && last_kw) kh_q <= last_kh ? '0 : kh_q + KHW'(1);
      end
      if (last_of_pixel) begin
        ox_q <= last_ox ? '0 : ox_q + OXW'(1);
        if (last_ox) oy_q <= last_oy ? '0 : oy_q + OYW'(1);
      end
    end
  end

  // ---- output register -----------------------------------------------------------------
  qsim_oreg #(.WIDTH(WD), .NAME("qsim_swg output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire),
    .data_i     (mem_q[rd_ptr]),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

  assign in_ready_o = in_ready_q;

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(WD), .NAME("qsim_swg input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
`endif

endmodule

`default_nettype wire
