#include "base/status.h"

namespace hull::base {

Status Status::Errno(std::string_view what, int err) {
  Status s(std::string(what) + ": " + std::strerror(err));
  s.errno_ = err;
  return s;
}

const std::string& Status::message() const {
  static const std::string kOk = "OK";
  return message_ ? *message_ : kOk;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status s(std::string(context) + ": " + *message_);
  s.errno_ = errno_;
  return s;
}

}  // namespace hull::base
