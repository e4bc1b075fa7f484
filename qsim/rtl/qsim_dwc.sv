// qsim_dwc: stream data-width converter between IN_WIDTH and OUT_WIDTH bits (integer ratio).
//
// Order: element 0 in the least significant bits (DESIGN.md section 3), so
//   down (IN_WIDTH = R*OUT_WIDTH): input word w splits into R words, out[k] = w[k*OUT +: OUT];
//   up   (OUT_WIDTH = R*IN_WIDTH): R input words w[0..R-1] form one word {w[R-1], ..., w[0]}.
// Engine (the qsim skeleton): 2-word input buffer, 1-word output register, counter k.
//   down: steps k = 0..R-1 per input word, each needs the head word and produces out[k];
//         step R-1 pops the head.
//   up:   steps k = 0..R-1 per output word, step k needs and pops input word k; steps
//         k < R-1 store it, step R-1 produces the assembled word.
// Cycle model: qsim.rtlsim.dwc_model.DataWidthConverter (a qsim Schedule, capacity 2).
// Latency: 2 cycles (down: first piece; up: from the accept of the last piece).
// II:      down R cycles per input word; up 1 input word per cycle.
//
//   cycle      0    1    2    3    4              (down, R = 2)
//   in  acc    w0   w1   .    w2
//   step       .    w0.0 w0.1 w1.0 w1.1
//   out xfr    .    .    o0   o1   o2
`default_nettype none

module qsim_dwc #(
  parameter int unsigned IN_WIDTH  = 8,  // input word bits
  parameter int unsigned OUT_WIDTH = 4   // output word bits (one divides the other)
) (
  input  wire logic                 clk_i,
  input  wire logic                 rst_ni,
  input  wire logic                 in_valid_i,
  output      logic                 in_ready_o,
  input  wire logic [IN_WIDTH-1:0]  in_data_i,
  output      logic                 out_valid_o,
  input  wire logic                 out_ready_i,
  output      logic [OUT_WIDTH-1:0] out_data_o
);

  localparam bit          UP = OUT_WIDTH > IN_WIDTH;
  localparam int unsigned R  = UP ? OUT_WIDTH / IN_WIDTH : IN_WIDTH / OUT_WIDTH;
  localparam int unsigned KW = (R > 1) ? $clog2(R) : 1;

  if ((UP ? OUT_WIDTH % IN_WIDTH : IN_WIDTH % OUT_WIDTH) != 0) begin : gen_check_ratio
    $fatal(1, "qsim_dwc: integer width ratio violated: IN_WIDTH=%0d, OUT_WIDTH=%0d",
           IN_WIDTH, OUT_WIDTH);
  end

  logic                 head_valid, fire, pop, produce, room;
  logic [IN_WIDTH-1:0]  head_data;
  logic [OUT_WIDTH-1:0] out_d;
  logic [KW-1:0]        k_q;
  logic                 last_k;

  qsim_ibuf #(
    .DEPTH(2),
    .WIDTH(IN_WIDTH)
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

  assign last_k  = (k_q == KW'(R - 1));
  assign produce = UP ? last_k : 1'b1;
  assign fire    = head_valid && (!produce || room);
  assign pop     = fire && (UP ? 1'b1 : last_k);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      k_q <= '0;
    end else if (fire) begin
      k_q <= last_k ? '0 : k_q + KW'(1);
    end
  end

  if (UP) begin : gen_up
    if (R > 1) begin : gen_store
      logic [(R-1)*IN_WIDTH-1:0] low_q;  // pieces 0..R-2 of the word being assembled
      always_ff @(posedge clk_i) begin
        if (fire && !last_k) begin
          low_q[32'(k_q)*IN_WIDTH +: IN_WIDTH] <= head_data;
        end
      end
      assign out_d = {head_data, low_q};
    end else begin : gen_same
      assign out_d = head_data;
    end
  end else begin : gen_down
    assign out_d = head_data[32'(k_q)*OUT_WIDTH +: OUT_WIDTH];
  end

  qsim_oreg #(.WIDTH(OUT_WIDTH), .NAME("qsim_dwc output")) u_oreg (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .load_i     (fire && produce),
    .data_i     (out_d),
    .room_o     (room),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

`ifndef SYNTHESIS
  qsim_stream_check #(.WIDTH(IN_WIDTH), .NAME("qsim_dwc input")) u_check_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(in_valid_i), .ready_i(in_ready_o),
    .data_i(in_data_i)
  );
`endif

endmodule

`default_nettype wire
