// Outcome: the engine's error value — a Status-like message plus the kind of failure,
// which hulld's API maps onto Docker's status codes (404, 409, 400, 304, 500) without
// the engine knowing about HTTP.
#pragma once

#include <string>

#include "base/status.h"

namespace hull::engine {

enum class ErrorKind { kOk, kInvalid, kNotFound, kConflict, kNotModified, kNotImplemented, kInternal };

class [[nodiscard]] Outcome {
 public:
  Outcome() = default;
  Outcome(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  static Outcome Internal(const base::Status& s) {
    return s.ok() ? Outcome() : Outcome(ErrorKind::kInternal, s.message());
  }
  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
};

}  // namespace hull::engine
