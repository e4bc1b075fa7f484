// qsim's strict hls::stream<T> for C simulation (cppsim).
//
// Same interface as the Vitis HLS stream a kernel is written against (read, write, empty,
// full, size, read_nb, write_nb, operator<< / >>), with three differences that make a C
// simulation fail loudly instead of silently:
//
//   * read() on an empty stream throws qsim::stream_error naming the stream (Vitis csim
//     prints a warning and returns T(), which hides a producer/consumer mismatch);
//   * write() past an optional depth throws (depth 0: unbounded, as in csim);
//   * the stream records its maximum occupancy, to size FIFOs from a simulation;
//   * given a clock (log_reads), read() logs the clock's value for every word it returns:
//     the harness logs the kernel loop's iteration of each input word this way.
//
// Under synthesis (__SYNTHESIS__) kernels include the vendor <hls_stream.h> instead; see
// qsim/common.hpp. This file is qsim's own code; it does not derive from any vendor header.
#ifndef QSIM_HLS_STREAM_H
#define QSIM_HLS_STREAM_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace qsim {

// Thrown by a strict stream; what() names the stream and the operation.
class stream_error : public std::runtime_error {
 public:
  explicit stream_error(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace qsim

namespace hls {

template <typename T>
class stream {
 public:
  stream() : name_("hls::stream"), depth_(0), max_size_(0) {}
  explicit stream(const char* name, std::size_t depth = 0)
      : name_(name), depth_(depth), max_size_(0) {}
  explicit stream(const std::string& name, std::size_t depth = 0)
      : name_(name), depth_(depth), max_size_(0) {}

  // Streams are channels between processes: never copied.
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  // Blocking read; throws qsim::stream_error on an empty stream.
  T read() {
    if (fifo_.empty()) {
      throw qsim::stream_error("stream '" + name_ + "': read from an empty stream (" +
                               std::to_string(reads_) + " words read so far)");
    }
    T v = fifo_.front();
    fifo_.pop_front();
    ++reads_;
    if (read_log_ != nullptr) read_log_->push_back(*clock_);
    return v;
  }
  void read(T& v) { v = read(); }
  void operator>>(T& v) { v = read(); }

  // Blocking write; throws qsim::stream_error when a depth is set and the stream is full.
  void write(const T& v) {
    if (full()) {
      std::ostringstream os;
      os << "stream '" << name_ << "': write to a full stream (depth " << depth_ << ", "
         << writes_ << " words written so far)";
      throw qsim::stream_error(os.str());
    }
    fifo_.push_back(v);
    ++writes_;
    if (fifo_.size() > max_size_) max_size_ = fifo_.size();
  }
  void operator<<(const T& v) { write(v); }

  // Log *clock into *log at every read (nullptr: stop logging).
  void log_reads(std::vector<std::uint64_t>* log, const std::uint64_t* clock) {
    read_log_ = log;
    clock_ = clock;
  }

  // Non-blocking variants: return false instead of throwing.
  bool read_nb(T& v) {
    if (fifo_.empty()) return false;
    v = read();
    return true;
  }
  bool write_nb(const T& v) {
    if (full()) return false;
    write(v);
    return true;
  }

  bool empty() const { return fifo_.empty(); }
  bool full() const { return depth_ != 0 && fifo_.size() >= depth_; }
  std::size_t size() const { return fifo_.size(); }

  // qsim extensions (not in the Vitis interface; used by the cppsim harness only).
  const std::string& name() const { return name_; }
  std::size_t depth() const { return depth_; }
  void set_depth(std::size_t depth) { depth_ = depth; }
  std::size_t max_size() const { return max_size_; }
  unsigned long long reads() const { return reads_; }
  unsigned long long writes() const { return writes_; }

 private:
  std::string name_;
  std::size_t depth_;
  std::size_t max_size_;
  unsigned long long reads_ = 0;
  std::vector<std::uint64_t>* read_log_ = nullptr;
  const std::uint64_t* clock_ = nullptr;
  unsigned long long writes_ = 0;
  std::deque<T> fifo_;
};

}  // namespace hls

#endif  // QSIM_HLS_STREAM_H
