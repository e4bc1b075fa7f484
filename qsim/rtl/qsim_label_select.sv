// qsim_label_select: indices of the K largest of LABELS values (FINN LabelSelect_Batch / _hls).
//
// Maths:    y[j] = index of the j-th largest input, j < K, largest first; equal values: the
//           LOWER index first (ONNX TopK order). INTn: signed compare; UINTn/BINARY: unsigned;
//           BIPOLAR: unsigned compare of the wire bit (1 = +1 > 0 = -1).
// Folding:  LABELS % PE == 0; NF = LABELS / PE input words per frame; 1 <= K <= LABELS.
//           Output: one index per word, OBITS bits (odt, holds LABELS - 1).
// Engine:   2-word input buffer (qsim_ibuf); steps 0..NF+K-1 per frame, in order. Step i < NF
//           pops input word i and inserts its PE values (index i*PE + p, lane p in order) into a
//           sorted list of K (value, index) registers: a value goes below every kept value >= it,
//           so an equal value never overtakes a lower index; the list restarts empty at step 0.
//           Step NF + j needs no input and writes index j to the 1-word output register (it
//           fires only when that register is empty or being emptied). The next frame's words
//           wait in the 2-word buffer until the K outputs are out.
// FINN:     finn-hlslib's LabelSelect_Batch (read for the tie rule) also keeps an equal value
//           below the earlier one (a value displaces only a strictly smaller one), but starts
//           its list at the type minimum, so inputs equal to that minimum are never selected
//           there (undefined labels); this core, like ONNX TopK, selects them.
// Latency:  NF + 2 cycles from the first accept to the first transfer.
// II:       NF + K cycles per frame.
// Model:    qsim/models/label_select.py (LabelSelect.schedule, capacity 2).
//
//   NF = 2, K = 2
//   cycle      0    1    2    3    4    5    6    7    8
//   in  acc    x0   x1   x0'  x1'  .    .    x0'' x1''
//   step       .    x0   x1   o0   o1   x0'  x1'  o0'  o1'
//   out xfr    .    .    .    .    i0   i1   .    .    i0'
`default_nettype none

module qsim_label_select #(
  parameter int unsigned LABELS  = 4,     // values per frame
  parameter int unsigned PE      = 1,     // values per input word
  parameter int unsigned K       = 1,     // indices per frame (top K)
  parameter int unsigned IBITS   = 4,     // input element bits
  parameter bit          ISIGNED = 1'b1,  // INTn input (signed compare)
  parameter int unsigned OBITS   = 2      // output (index) bits
) (
  input  wire logic                clk_i,
  input  wire logic                rst_ni,
  input  wire logic                in_valid_i,
  output      logic                in_ready_o,
  input  wire logic [PE*IBITS-1:0] in_data_i,
  output      logic                out_valid_o,
  input  wire logic                out_ready_i,
  output      logic [OBITS-1:0]    out_data_o
);

  localparam int unsigned NF    = (LABELS / PE > 0) ? LABELS / PE : 1;
  localparam int unsigned DW    = PE * IBITS;
  localparam int unsigned IW    = (LABELS > 1) ? $clog2(LABELS) : 1;  // index bits
  localparam int unsigned STEPS = NF + K;
  localparam int unsigned SW    = (STEPS > 1) ? $clog2(STEPS) : 1;
  localparam int unsigned KW    = (K > 1) ? $clog2(K) : 1;

  if (LABELS % PE != 0) begin : gen_check_fold
    $fatal(1, "folding rule Labels %% PE == 0 violated: Labels=%0d, PE=%0d", LABELS, PE);
  end
  if (K < 1 || K > LABELS) begin : gen_check_k
    $fatal(1, "qsim_label_select: k=%0d exceeds labels=%0d (or is 0)", K, LABELS);
  end
  if (OBITS < IW) begin : gen_check_obits
    $fatal(1, "qsim_label_select: OBITS >= index bits violated: OBITS=%0d, index bits=%0d",
           OBITS, IW);
  end

  // ---- input buffer ------------------------------------------------------------------------
  logic          head_valid;
  logic [DW-1:0] head_data;
  logic          fire, scan, room;

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
    .pop_i       (fire && scan)
  );

  // ---- step counter: scan steps 0..NF-1, output steps NF..NF+K-1 ----------------------------
  logic [SW-1:0] step_q;

  assign scan = (32'(step_q) < NF);
  assign fire = scan ? head_valid : room;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      step_q <= '0;
    end else if (fire) begin
      step_q <= (step_q == SW'(STEPS - 1)) ? '0 : step_q + SW'(1);
    end
  end

  // ---- sorted top-K list (largest first) ---------------------------------------------------
  logic [IBITS-1:0] val_q [K];
  logic [IW-1:0]    idx_q [K];
  logic [K-1:0]     vld_q;
  logic [IBITS-1:0] val_d [K];
  logic [IW-1:0]    idx_d [K];
  logic [K-1:0]     vld_d;

  // a kept entry stays above a new value v iff it is valid and >= v
  function automatic logic keeps(input logic vld, input logic [IBITS-1:0] kept,
                                 input logic [IBITS-1:0] v);
    if (ISIGNED) begin
      return vld && ($signed(kept) >= $signed(v));
    end
    return vld && (kept >= v);
  endfunction

  always_comb begin
    val_d = val_q;
    idx_d = idx_q;
    vld_d = (step_q == '0) ? '0 : vld_q;
    for (int p = 0; p < PE; p++) begin
      // insert lane p; bottom-up, so entry j-1 is read before it is overwritten
      for (int j = K - 1; j >= 0; j--) begin
        if (!keeps(vld_d[j], val_d[j], head_data[p*IBITS +: IBITS])) begin
          if (j == 0 || keeps(vld_d[(j > 0) ? j - 1 : 0], val_d[(j > 0) ? j - 1 : 0],
                              head_data[p*IBITS +: IBITS])) begin
            val_d[j] = head_data[p*IBITS +: IBITS];
            idx_d[j] = IW'(32'(step_q) * PE + 32'(p));
            vld_d[j] = 1'b1;
          end else begin
            val_d[j] = val_d[j - 1];
            idx_d[j] = idx_d[j - 1];
            vld_d[j] = vld_d[j - 1];
          end
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      vld_q <= '0;
    end else if (fire && scan) begin
      vld_q <= vld_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (fire && scan) begin
      val_q <= val_d;
      idx_q <= idx_d;
    end
  end

  // ---- output register: index j at step NF + j ---------------------------------------------
  logic [KW-1:0] out_j;

  assign out_j = KW'(32'(step_q) - NF);

  qsim_oreg #(.WIDTH(OBITS), .NAME("qsim_label_select output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire && !scan),
    .data_i     (OBITS'(idx_q[out_j])),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(DW), .NAME("qsim_label_select input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
  always_ff @(posedge clk_i) begin
    if (rst_ni && fire && !scan) begin
      assert (vld_q[out_j])
        else $error("qsim_label_select: output step %0d reads an empty list entry", out_j);
    end
  end
`endif

endmodule

`default_nettype wire
