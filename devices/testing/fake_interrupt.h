// FakeInterruptLine: an InterruptLine for device unit tests. It records every level
// the device drove and every pulse, and can be told to fail, so tests can assert when
// an interrupt was raised and that a device survives a failing line.
#pragma once

#include <mutex>
#include <vector>

#include "devices/interrupt.h"

namespace hull::devices::testing {

class FakeInterruptLine : public InterruptLine {
 public:
  base::Status SetLevel(bool high) override {
    std::lock_guard lock(mutex_);
    if (fail_) return base::Status::Error("fake interrupt line: injected failure");
    if (high && !level_) ++rising_edges_;
    level_ = high;
    levels_.push_back(high);
    return base::Status::Ok();
  }

  base::Status Pulse() override {
    {
      std::lock_guard lock(mutex_);
      ++pulses_;
    }
    return InterruptLine::Pulse();
  }

  // Subsequent SetLevel calls fail (and change nothing) while `fail` is true.
  void set_fail(bool fail) {
    std::lock_guard lock(mutex_);
    fail_ = fail;
  }

  bool level() const {
    std::lock_guard lock(mutex_);
    return level_;
  }
  // Every level passed to a successful SetLevel, in order (pulses included).
  std::vector<bool> levels() const {
    std::lock_guard lock(mutex_);
    return levels_;
  }
  // Low-to-high transitions: what an edge-triggered controller would deliver.
  int rising_edges() const {
    std::lock_guard lock(mutex_);
    return rising_edges_;
  }
  int pulses() const {
    std::lock_guard lock(mutex_);
    return pulses_;
  }
  void ClearHistory() {
    std::lock_guard lock(mutex_);
    levels_.clear();
    rising_edges_ = 0;
    pulses_ = 0;
  }

 private:
  mutable std::mutex mutex_;
  bool fail_ = false;
  bool level_ = false;
  std::vector<bool> levels_;
  int rising_edges_ = 0;
  int pulses_ = 0;
};

}  // namespace hull::devices::testing
