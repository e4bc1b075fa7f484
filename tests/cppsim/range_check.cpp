// Unit check of the cppsim range assertion of the accumulating kernels (add_streams,
// global_acc_pool): instantiated with an output type too narrow for the sum, a kernel must
// throw qsim::range_error naming the kernel, the value and the word; with a wide enough type it
// must not. The Python configs refuse such narrow types, so only C++ can reach the trap.
// Run by test_new_blocks.py.
#include <cstdio>
#include <string>

#include "qsim/add_streams.hpp"
#include "qsim/global_acc_pool.hpp"

static int failures = 0;
#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      std::printf("FAIL line %d: %s\n", __LINE__, #cond);        \
      failures++;                                                \
    }                                                            \
  } while (0)

template <typename F>
static std::string thrown(F f) {
  try {
    f();
  } catch (const qsim::range_error& e) {
    return e.what();
  }
  return "";
}

// AddStreams of two INT4 words (PE = 2): lanes (a0, a1) + (b0, b1).
template <typename ODT>
static std::string add(int a0, int a1, int b0, int b1) {
  hls::stream<ap_uint<8> > in0("in0"), in1("in1");
  hls::stream<ap_uint<2 * ODT::width> > out("out");
  ap_uint<8> a = 0, b = 0;
  qsim::set_lane<4, 2>(a, 0, qsim::Int<4>::encode(ap_int<4>(a0)));
  qsim::set_lane<4, 2>(a, 1, qsim::Int<4>::encode(ap_int<4>(a1)));
  qsim::set_lane<4, 2>(b, 0, qsim::Int<4>::encode(ap_int<4>(b0)));
  qsim::set_lane<4, 2>(b, 1, qsim::Int<4>::encode(ap_int<4>(b1)));
  in0.write(a);
  in1.write(b);
  return thrown([&] {
    qsim::add_streams<2, 2, qsim::Int<4>, qsim::Int<4>, ap_int<5>, ODT>(in0, in1, out, 1);
  });
}

// GlobalAccPool of a 2x1 UINT3 image, one channel: x0 + x1.
template <typename ODT>
static std::string pool(unsigned x0, unsigned x1) {
  hls::stream<ap_uint<3> > in("in");
  hls::stream<ap_uint<ODT::width> > out("out");
  in.write(x0);
  in.write(x1);
  return thrown([&] {
    qsim::global_acc_pool<2, 1, 1, 1, qsim::UInt<3>, ap_int<5>, ODT>(in, out, 1);
  });
}

int main() {
  CHECK(add<qsim::Int<5> >(-8, 7, -8, 7) == "");                  // [-16, 14] fits INT5
  std::string msg = add<qsim::Int<4> >(1, 7, 0, 1);               // 8 does not fit INT4
  CHECK(msg.find("add_streams: value 8 at output word 0 lane 1") != std::string::npos);
  CHECK(add<qsim::Int<4> >(-8, 0, 0, 0) == "");                   // -8 fits INT4
  msg = add<qsim::Int<4> >(-8, 0, -1, 0);                         // -9 does not
  CHECK(msg.find("value -9 at output word 0 lane 0") != std::string::npos);
  CHECK(add<qsim::UInt<4> >(1, 2, 3, 4) == "");
  msg = add<qsim::UInt<4> >(1, 2, -3, 4);                         // -2 is not a UINT4
  CHECK(msg.find("value -2 at output word 0 lane 0") != std::string::npos);

  CHECK(pool<qsim::UInt<4> >(7, 7) == "");                        // 14 fits UINT4
  msg = pool<qsim::UInt<3> >(7, 1);                               // 8 does not fit UINT3
  CHECK(msg.find("global_acc_pool: value 8 at output word 0 lane 0") != std::string::npos);

  if (failures == 0) std::printf("OK\n");
  return failures == 0 ? 0 : 1;
}
