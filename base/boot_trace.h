// Boot-stage marks for benchmarks (docs/hull-vmm.md, "Benchmark hooks"): hull-vmm and
// its jail note the CLOCK_MONOTONIC time at a few fixed points of start-up, and vCPU 0
// appends them to its HULL_VMM_BOOT_TRACE line, so benchmarks/ can say where the time
// between process start and the first guest instruction goes (the jail's set-up most of
// all). A mark is one vDSO clock read into a fixed array: no allocation, no syscall, so
// it is taken whether tracing is on or not. Marks made before a fork() are inherited.
#pragma once

#include <cstddef>
#include <string>

namespace hull::base {

// Records `stage` (a string literal) now. Beyond kMaxBootMarks marks, later ones are
// dropped.
void BootMark(const char* stage);

inline constexpr size_t kMaxBootMarks = 16;

// " stage-ns=T stage-ns=T ..." in the order marked (empty when nothing was marked).
std::string BootMarksText();

}  // namespace hull::base
