// Smoke-test counter for the Verilator/cocotb toolchain (tests/test_toolchain.py).
//
// count_o increments by one on every rising clk_i edge while en_i is high, wraps modulo
// 2**Width, and holds while en_i is low. Synchronous active-low reset clears it to zero.
// Latency: count_o shows an enabled edge's increment right after that edge (registered output).

`default_nettype none

module smoke_counter #(
  parameter int unsigned Width = 4  // counter width in bits; wraps at 2**Width
) (
  input  logic             clk_i,
  input  logic             rst_ni,   // synchronous, active low
  input  logic             en_i,     // count this cycle
  output logic [Width-1:0] count_o
);

  logic [Width-1:0] count_d, count_q;

  always_comb begin
    count_d = count_q;
    if (en_i) begin
      count_d = count_q + {{(Width-1){1'b0}}, 1'b1};
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      count_q <= '0;
    end else begin
      count_q <= count_d;
    end
  end

  assign count_o = count_q;

endmodule

`default_nettype wire
