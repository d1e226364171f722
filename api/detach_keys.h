// Docker's detach keys: the byte sequence (default ctrl-p,ctrl-q) that, typed into an
// attached stdin, detaches the client and leaves the container (or exec process)
// running. The spec syntax is Docker's ("ctrl-p,ctrl-q", "ctrl-a,x": ctrl-[a-z@[\]^_] or
// one character per comma-separated item). Used by hulld's attach and exec routes on the
// client's bytes and by the hull CLI on its own stdin (with a terminal, as the docker CLI
// does); pure, one instance per stream.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace hull::api {

inline constexpr const char* kDefaultDetachKeys = "ctrl-p,ctrl-q";

// The bytes of `spec` ("" is the default); an error names what is wrong, as Docker's
// "Invalid detach keys (SPEC) provided".
base::Result<std::string> ParseDetachKeys(const std::string& spec);

class DetachKeyFilter {
 public:
  explicit DetachKeyFilter(std::string keys) : keys_(std::move(keys)) {}
  // Appends to *out the bytes of `in` that go on to the container: a partial match is
  // held back until it either completes (then true: detach; the rest of `in` is dropped)
  // or breaks (then it is passed on).
  bool Feed(std::string_view in, std::string* out);

 private:
  std::string keys_;
  size_t matched_ = 0;
};

}  // namespace hull::api
