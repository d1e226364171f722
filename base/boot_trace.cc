#include "base/boot_trace.h"

#include <time.h>

#include <atomic>

namespace hull::base {
namespace {

struct Mark {
  const char* stage;
  long long ns;
};

Mark marks[kMaxBootMarks];
std::atomic<size_t> mark_count{0};

}  // namespace

void BootMark(const char* stage) {
  size_t i = mark_count.fetch_add(1, std::memory_order_relaxed);
  if (i >= kMaxBootMarks) return;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  marks[i] = {stage, static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec};
}

std::string BootMarksText() {
  std::string text;
  size_t n = mark_count.load(std::memory_order_relaxed);
  for (size_t i = 0; i < n && i < kMaxBootMarks; ++i) {
    text += " ";
    text += marks[i].stage;
    text += "-ns=";
    text += std::to_string(marks[i].ns);
  }
  return text;
}

}  // namespace hull::base
