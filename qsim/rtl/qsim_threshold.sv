// qsim_threshold: combinational multi-threshold activation of PE lanes (DESIGN.md section 4).
//
//   count[p] = #{s < NTHR : val[p] >= T[p, nf, s]}           (signed AW-bit compare)
//   y[p]     = ACT_VAL + count[p]                            (OBITS bits, two's complement)
//   y[p]     = count[p]                                      (OBIPOLAR: the wire bit, 1 = +1)
//   y[p]     = val[p][OBITS-1:0]                             (NTHR = 0: no thresholds)
//
// Thresholds come in on thr_i: the row of one fold nf of the Python config's threshold_tiles()
// (PE, NF, S), threshold (p, s) in bits [(p*NTHR + s)*AW +: AW]. The callers keep the rows in a
// qsim_rom (block RAM or LUT ROM) and read the row of the word being computed one cycle ahead.
// Used inside qsim_mvtu and qsim_thresholding; purely combinational (the callers register its
// output).
`default_nettype none

module qsim_threshold #(
  parameter int unsigned PE       = 1,     // lanes
  parameter int unsigned AW       = 8,     // signed width of values and thresholds
  parameter int unsigned NTHR     = 1,     // thresholds per channel S (0: pass val through)
  parameter int unsigned OBITS    = 8,     // output bits per lane
  parameter bit          OBIPOLAR = 1'b0,  // BIPOLAR output (NTHR = 1, ACT_VAL = 0)
  parameter int          ACT_VAL  = 0,     // output when no threshold is passed
  localparam int unsigned TS      = (NTHR > 0) ? NTHR : 1
) (
  input  wire logic [PE*AW-1:0]    val_i,   // lane p in [(p+1)*AW-1 : p*AW]
  input  wire logic [PE*TS*AW-1:0] thr_i,   // thresholds of this word's fold, (p, s)
  output      logic [PE*OBITS-1:0] data_o   // lane p in [(p+1)*OBITS-1 : p*OBITS]
);

  localparam int unsigned CNTW = $clog2(TS + 1);  // bits of a threshold count

  if (NTHR == 0) begin : gen_pass
    if (OBITS > AW) begin : gen_check_width
      $fatal(1, "qsim_threshold: OBITS <= AW violated without thresholds");
    end
    for (genvar p = 0; p < PE; p++) begin : gen_lane
      assign data_o[p*OBITS +: OBITS] = val_i[p*AW +: OBITS];
    end
    logic unused_thr, unused_val;
    assign unused_thr = ^thr_i;
    assign unused_val = ^val_i;  // the sign bit above OBITS is dropped
  end else begin : gen_thr
    if (OBIPOLAR && (NTHR != 1 || ACT_VAL != 0)) begin : gen_check_bipolar
      $fatal(1, "qsim_threshold: a BIPOLAR odt needs exactly 1 threshold and act_val=0");
    end
    for (genvar p = 0; p < PE; p++) begin : gen_lane
      logic signed [AW-1:0] val;
      logic [CNTW-1:0]      count;
      assign val = val_i[p*AW +: AW];
      always_comb begin
        count = '0;
        for (int unsigned s = 0; s < NTHR; s++) begin
          if (val >= $signed(thr_i[(p * NTHR + s) * AW +: AW])) begin
            count = count + CNTW'(1);
          end
        end
      end
      if (OBIPOLAR) begin : gen_bipolar
        assign data_o[p*OBITS +: OBITS] = OBITS'(count);
      end else begin : gen_int
        // modulo 2**OBITS: exact, as the config checks ACT_VAL + NTHR fits the odt
        assign data_o[p*OBITS +: OBITS] = OBITS'(ACT_VAL) + OBITS'(count);
      end
    end
  end

endmodule

`default_nettype wire
