// Status and Result<T>: hull's error values. Functions that can fail return one of
// these instead of throwing; RETURN_IF_ERROR / ASSIGN_OR_RETURN propagate them.
// An error carries one human-readable line that names the problem (and, for system
// calls, the errno text), so callers can print it as-is.
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hull::base {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }
  // "what: strerror(err)" — for failed system calls.
  static Status Errno(std::string_view what, int err = errno);

  bool ok() const { return !message_.has_value(); }
  const std::string& message() const;
  int error_number() const { return errno_; }

  // Prefixes the message with context: "loading kernel: file too short".
  Status WithContext(std::string_view context) const;

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
  int errno_ = 0;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {}    // NOLINT: must be an error

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(value_); }

  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace hull::base

#define HULL_CONCAT_INNER(a, b) a##b
#define HULL_CONCAT(a, b) HULL_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    ::hull::base::Status hull_status_ = (expr);   \
    if (!hull_status_.ok()) return hull_status_;  \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(HULL_CONCAT(hull_result_, __LINE__), lhs, expr)
