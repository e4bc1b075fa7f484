// qsim_mvtu: matrix-vector-threshold unit (FINN MVAU), PE x SIMD folded.
//
// Maths (W is MW x MH, as an ONNX MatMul x @ W):
//   acc[j] = sum_i x[i] * W[i, j]                  (XNOR: popcount(xnor(x_bits, w_bits)))
//   y[j]   = ACT_VAL + #{s : acc[j] >= T[j, s]}    (BIPOLAR odt: the bit #{...})
//   y[j]   = acc[j] in OBITS bits                   (NTHR = 0)
// Folding:  MH % PE == 0, MW % SIMD == 0; NF = MH/PE, SF = MW/SIMD. Output channel j = nf*PE + p.
// Engine:   steps (nf, sf) in order, tile = nf*SF + sf. Step (0, sf) needs input word sf (the
//           head of the 2-word input buffer), pops it and stores it in the vector buffer;
//           steps nf > 0 replay word sf from the vector buffer. Each step adds the SIMD
//           products of each PE to its accumulator; the step sf = SF-1 writes the thresholded
//           PE lanes to the 1-word output register (it fires only when that register is empty
//           or being emptied in the same cycle).
// Latency:  first output transfer SF + 1 cycles after the first input accept (stall-free).
// II:       NF * SF cycles per vector.
// Memories: weights (NF*SF words of PE*SIMD*WBITS bits) and thresholds (NF words of
//           PE*S*AW bits) are qsim_rom instances (registered read, $readmemh from the .mem
//           files the generator writes), addressed one step ahead so that the schedule is the
//           one of the array-parameter version: same cycles, same model.
// Model:    qsim/models/mvtu.py (MVTU.schedule, capacity 2).
//
//   cycle      0    1    2    3    4    5          (MW=MH=4, SIMD=PE=2: SF=NF=2)
//   in  acc    x0   x1   .    .    x0'  x1'
//   step       .   (0,0)(0,1)(1,0)(1,1)(0,0)'
//   out xfr    .    .    .    y0   .    y1
`default_nettype none

module qsim_mvtu #(
  parameter int unsigned MW       = 4,     // matrix width: input elements per vector
  parameter int unsigned MH       = 4,     // matrix height: output elements per vector
  parameter int unsigned PE       = 2,     // output lanes (rows computed in parallel)
  parameter int unsigned SIMD     = 2,     // input lanes (products per PE per step)
  parameter int unsigned IBITS    = 2,     // input element bits
  parameter int unsigned IKIND    = 1,     // input kind: 0 unsigned/BINARY, 1 signed, 2 BIPOLAR
  parameter int unsigned WBITS    = 2,     // weight element bits
  parameter int unsigned WKIND    = 1,     // weight kind: 0 unsigned/BINARY, 1 signed, 2 BIPOLAR
  parameter bit          XNOR     = 1'b0,  // XNOR-popcount mode (1-bit inputs and weights)
  parameter int unsigned AW       = 8,     // signed accumulator width (acc, thresholds, output)
  parameter int unsigned NTHR     = 0,     // thresholds per channel S (0: output the accumulator)
  parameter int unsigned OBITS    = 8,     // output element bits
  parameter bit          OBIPOLAR = 1'b0,  // BIPOLAR output
  // simulation check: every accumulator value lies in [ACC_MIN, ACC_MAX] (the config's exact
  // acc_range; ACC_CHECK = 0 when it does not fit an int)
  parameter bit          ACC_CHECK = 1'b0,
  parameter int          ACC_MIN   = 0,
  parameter int          ACC_MAX   = 0,
  parameter int          ACT_VAL  = 0,     // output when no threshold is passed
  parameter bit          W_BLOCK  = 1'b1,  // weights in block RAM (else LUT ROM)
  parameter bit          T_BLOCK  = 1'b0,  // thresholds in block RAM (else LUT ROM)
  parameter bit          USE_DSP  = 1'b0,  // products in DSP slices (FINN resType "dsp")
  // .mem file of weight_tiles() (PE, NF*SF, SIMD): line `tile` is the word of that tile, PE
  // p's SIMD weights in bits [(p+1)*SIMD*WBITS-1 : p*SIMD*WBITS] ("": all zero)
  parameter string       WEIGHTS_FILE    = "",
  // .mem file of threshold_tiles() (PE, NF, S): line nf, threshold (p, s) in bits
  // [(p*S + s + 1)*AW-1 : (p*S + s)*AW] ("": all zero)
  parameter string       THRESHOLDS_FILE = "",
  localparam int unsigned NF      = (MH / PE > 0) ? MH / PE : 1,
  localparam int unsigned SF      = (MW / SIMD > 0) ? MW / SIMD : 1,
  localparam int unsigned TS      = (NTHR > 0) ? NTHR : 1
) (
  input  wire logic                  clk_i,
  input  wire logic                  rst_ni,
  input  wire logic                  in_valid_i,
  output      logic                  in_ready_o,
  input  wire logic [SIMD*IBITS-1:0] in_data_i,
  output      logic                  out_valid_o,
  input  wire logic                  out_ready_i,
  output      logic [PE*OBITS-1:0]   out_data_o
);

  localparam int unsigned TILES = NF * SF;
  localparam int unsigned NFW   = (NF > 1) ? $clog2(NF) : 1;
  localparam int unsigned SFW   = (SF > 1) ? $clog2(SF) : 1;
  localparam int unsigned TW    = (TILES > 1) ? $clog2(TILES) : 1;
  localparam int unsigned IW    = SIMD * IBITS;

  if (MH % PE != 0) begin : gen_check_fold_mh
    $fatal(1, "folding rule MH %% PE == 0 violated: MH=%0d, PE=%0d", MH, PE);
  end
  if (MW % SIMD != 0) begin : gen_check_fold_mw
    $fatal(1, "folding rule MW %% SIMD == 0 violated: MW=%0d, SIMD=%0d", MW, SIMD);
  end
  if (XNOR && (IBITS != 1 || WBITS != 1)) begin : gen_check_xnor
    $fatal(1, "qsim_mvtu: binary_xnor needs 1-bit inputs and weights");
  end

  // ---- input buffer ------------------------------------------------------------------------
  logic          head_valid;
  logic [IW-1:0] head_data;
  logic          fire, pop;

  qsim_ibuf #(
    .DEPTH(2),
    .WIDTH(IW)
  ) u_ibuf (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (in_valid_i),
    .in_ready_o  (in_ready_o),
    .in_data_i   (in_data_i),
    .head_valid_o(head_valid),
    .head_data_o (head_data),
    .pop_i       (pop)
  );

  // ---- step counters (nf, sf, tile = nf*SF + sf) -------------------------------------------
  logic [NFW-1:0] nf_q, nf_next;
  logic [SFW-1:0] sf_q;
  logic [TW-1:0]  tile_q, tile_next;
  logic           first_fold;   // nf == 0: the step reads the input buffer
  logic           last_sf;      // sf == SF-1: the step produces an output word
  logic           room;  // the output register can take a word this cycle
  logic [IW-1:0]  x;            // input word of this step

  assign first_fold = (nf_q == '0);
  assign last_sf    = (sf_q == SFW'(SF - 1));
  assign fire       = (!first_fold || head_valid) && (!last_sf || room);
  assign pop        = fire && first_fold;
  assign tile_next  = (tile_q == TW'(TILES - 1)) ? '0 : tile_q + TW'(1);
  assign nf_next    = (nf_q == NFW'(NF - 1)) ? '0 : nf_q + NFW'(1);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      nf_q   <= '0;
      sf_q   <= '0;
      tile_q <= '0;
    end else if (fire) begin
      tile_q <= tile_next;
      if (last_sf) begin
        sf_q <= '0;
        nf_q <= nf_next;
      end else begin
        sf_q <= sf_q + SFW'(1);
      end
    end
  end

  // ---- weight and threshold memories, read ahead -------------------------------------------
  // A memory's registered output must hold the word of the step that fires in a cycle, so the
  // address is the step the counters hold AFTER this edge: the next tile when a step fires,
  // the current one otherwise (0 in reset). An internal path from `fire` (which depends on
  // the input and output handshakes) to the memory address, ending in the memory's register:
  // no input-port to output-port path, and the schedule of docs/timing.md is unchanged.
  logic [TW-1:0]           w_addr;
  logic [NFW-1:0]          t_addr;
  logic [PE*SIMD*WBITS-1:0] w_tile;  // weight tile `tile_q`, PE p in [p*SIMD*WBITS +: ...]
  logic [PE*TS*AW-1:0]     t_row;   // thresholds of fold `nf_q`, (p, s) in [(p*TS+s)*AW +: AW]

  assign w_addr = !rst_ni ? '0 : (fire ? tile_next : tile_q);
  assign t_addr = !rst_ni ? '0 : ((fire && last_sf) ? nf_next : nf_q);

  qsim_rom #(
    .WIDTH(PE * SIMD * WBITS),
    .DEPTH(TILES),
    .FILE (WEIGHTS_FILE),
    .STYLE(W_BLOCK ? "block" : "distributed")
  ) u_weights (
    .clk_i (clk_i),
    .addr_i(w_addr),
    .data_o(w_tile)
  );

  if (NTHR > 0) begin : gen_thresholds
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
  end else begin : gen_no_thresholds
    assign t_row = '0;
    logic unused_t;
    assign unused_t = ^{t_addr, T_BLOCK, THRESHOLDS_FILE != ""};
  end

  // ---- vector buffer: input word sf, stored during nf = 0, replayed for nf > 0 -------------
  if (NF > 1) begin : gen_vbuf
    logic [IW-1:0] vbuf_q [SF];
    always_ff @(posedge clk_i) begin
      if (pop) begin
        vbuf_q[sf_q] <= head_data;
      end
    end
    assign x = first_fold ? head_data : vbuf_q[sf_q];
  end else begin : gen_no_vbuf
    assign x = head_data;
  end

  // ---- SIMD products of each PE ------------------------------------------------------------
  // Element values as AW-bit signed numbers: UINTn/BINARY zero-extended, INTn sign-extended,
  // BIPOLAR bit 1 = +1 and bit 0 = -1. Sums are exact: the generator sizes AW for the range.
  function automatic logic signed [AW-1:0] ext(input logic [AW-1:0] zext, input logic sign,
                                                input int unsigned kind, input int unsigned bits);
    logic signed [AW-1:0] v;
    if (kind == 2) begin
      v = zext[0] ? AW'(1) : {AW{1'b1}};
    end else if (kind == 1 && sign) begin
      v = zext | ~((AW'(1) << bits) - AW'(1));
    end else begin
      v = zext;
    end
    return v;
  endfunction

  logic [PE*AW-1:0]    acc_next;  // lane p: accumulator after this step
  logic [PE*OBITS-1:0] act;

  // Exact product widths (FINN resType: USE_DSP puts the products into DSP slices in Vivado;
  // narrow products stay in LUTs either way under yosys, see docs/synth.md).
  localparam int unsigned XW = (IKIND == 2) ? 2 : (IKIND == 0) ? IBITS + 1 : IBITS;
  localparam int unsigned WW = (WKIND == 2) ? 2 : (WKIND == 0) ? WBITS + 1 : WBITS;
  localparam int unsigned PW = XW + WW;

  if (!XNOR) begin : gen_x
    logic [SIMD*XW-1:0] xv;  // lane s: value of input element s (shared by the PEs), XW bits
    for (genvar s = 0; s < SIMD; s++) begin : gen_lane
      assign xv[s*XW +: XW] = XW'(ext(AW'(x[s*IBITS +: IBITS]), x[s*IBITS + IBITS - 1], IKIND,
                                      IBITS));
    end
  end

  for (genvar p = 0; p < PE; p++) begin : gen_pe
    logic signed [AW-1:0]  acc_q;
    logic signed [AW-1:0]  dot;
    logic [SIMD*WBITS-1:0] w;       // weight tile (p, tile_q)
    assign w = w_tile[p*SIMD*WBITS +: SIMD*WBITS];
    if (XNOR) begin : gen_xnor
      // 1-bit lanes: the dot product counts the lanes where input and weight agree. As one
      // $countones, Verilator simulates it with popcount instructions instead of SIMD adds.
      assign dot = AW'($countones(x ~^ w));
    end else begin : gen_mac
      logic [SIMD*WW-1:0] wv;       // lane s: value of weight s, WW bits
      logic [SIMD*PW-1:0] prod;     // lane s: x[s] * w[s], exact in PW bits
      for (genvar s = 0; s < SIMD; s++) begin : gen_lane
        assign wv[s*WW +: WW] = WW'(ext(AW'(w[s*WBITS +: WBITS]), w[s*WBITS + WBITS - 1],
                                        WKIND, WBITS));
        if (USE_DSP) begin : gen_dsp
          (* use_dsp = "yes" *) logic signed [PW-1:0] pr;
          assign pr = $signed(gen_x.xv[s*XW +: XW]) * $signed(wv[s*WW +: WW]);
          assign prod[s*PW +: PW] = pr;
        end else begin : gen_lut
          (* use_dsp = "no" *) logic signed [PW-1:0] pr;
          assign pr = $signed(gen_x.xv[s*XW +: XW]) * $signed(wv[s*WW +: WW]);
          assign prod[s*PW +: PW] = pr;
        end
      end
      always_comb begin
        dot = '0;
        for (int unsigned s = 0; s < SIMD; s++) begin
          dot = dot + AW'($signed(prod[s * PW +: PW]));
        end
      end
    end
    assign acc_next[p*AW +: AW] = ((sf_q == '0) ? AW'(0) : acc_q) + dot;
    always_ff @(posedge clk_i) begin
      if (fire) begin
        acc_q <= acc_next[p*AW +: AW];
      end
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
    .val_i (acc_next),
    .thr_i (t_row),
    .data_o(act)
  );

  // ---- output register -----------------------------------------------------------------
  qsim_oreg #(.WIDTH(PE * OBITS), .NAME("qsim_mvtu output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire && last_sf),
    .data_i     (act),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(IW), .NAME("qsim_mvtu input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );

  // ---- accumulator range: every partial sum stays in the config's [ACC_MIN, ACC_MAX] -------
  // (a partial sum lies between the sums of its terms' minima and maxima, inside acc_range:
  // every qsim input type's range holds 0 or is BIPOLAR's symmetric {-1, +1})
  if (ACC_CHECK) begin : gen_check_acc
    for (genvar p = 0; p < PE; p++) begin : gen_pe_acc
      logic signed [AW-1:0] v;
      assign v = acc_next[p*AW +: AW];
      always_ff @(posedge clk_i) begin
        if (rst_ni && fire) begin
          assert (v >= AW'(ACC_MIN) && v <= AW'(ACC_MAX))
            else $error("qsim_mvtu accumulator: PE %0d value %0d outside [%0d, %0d] at %s",
                        p, v, ACC_MIN, ACC_MAX, $sformatf("step nf=%0d sf=%0d tile=%0d",
                                                          nf_q, sf_q, tile_q));
        end
      end
    end
  end
`endif

endmodule

`default_nettype wire
