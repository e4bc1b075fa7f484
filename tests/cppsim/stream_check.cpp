// Unit check of qsim's strict hls::stream (hls/qsim/hls_stream.h); run by test_stream.py.
#include <cstdio>
#include <string>

#include "qsim/hls_stream.h"

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
  } catch (const qsim::stream_error& e) {
    return e.what();
  }
  return "";
}

int main() {
  hls::stream<int> s("fifo_a");
  CHECK(s.empty() && s.size() == 0 && !s.full());
  std::string msg = thrown([&] { s.read(); });
  CHECK(msg.find("fifo_a") != std::string::npos);
  CHECK(msg.find("read from an empty stream") != std::string::npos);
  int v = 7;
  CHECK(!s.read_nb(v) && v == 7);

  hls::stream<int> d("fifo_b", 2);
  d.write(1);
  d << 2;
  CHECK(d.full() && d.size() == 2 && !d.write_nb(3));
  msg = thrown([&] { d.write(3); });
  CHECK(msg.find("fifo_b") != std::string::npos && msg.find("full") != std::string::npos);
  CHECK(d.read() == 1);
  d >> v;
  CHECK(v == 2 && d.empty());
  CHECK(d.write_nb(5) && d.read_nb(v) && v == 5);
  CHECK(d.max_size() == 2 && d.reads() == 3 && d.writes() == 3);

  hls::stream<long> u("fifo_c");  // unbounded: records its maximum occupancy
  for (long i = 0; i < 100; i++) u.write(i);
  for (long i = 0; i < 60; i++) CHECK(u.read() == i);
  for (long i = 0; i < 10; i++) u.write(i);
  CHECK(u.max_size() == 100 && u.size() == 50 && !u.full());

  if (failures == 0) std::printf("OK\n");
  return failures == 0 ? 0 : 1;
}
