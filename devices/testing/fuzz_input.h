// FuzzInput: takes typed values off the front of a fuzzer's input bytes, yielding
// zeros once they run out — what every hull fuzz target uses to turn bytes into
// driver actions. (clang's FuzzedDataProvider is not available to the gcc build that
// replays the corpus.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace hull::devices::testing {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return at_ >= size_; }
  template <typename T>
  T Take() {
    T value{};
    size_t n = std::min(sizeof(T), size_ - at_);
    std::memcpy(&value, data_ + at_, n);
    at_ += n;
    return value;
  }
  uint8_t U8() { return Take<uint8_t>(); }
  uint16_t U16() { return Take<uint16_t>(); }
  uint32_t U32() { return Take<uint32_t>(); }
  uint64_t U64() { return Take<uint64_t>(); }
  // Up to `max` bytes (fewer at the end of the input).
  std::span<const uint8_t> Bytes(size_t max) {
    size_t n = std::min(max, size_ - at_);
    std::span<const uint8_t> out(data_ + at_, n);
    at_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

}  // namespace hull::devices::testing
