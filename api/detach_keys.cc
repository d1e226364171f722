#include "api/detach_keys.h"

#include <cctype>

namespace hull::api {

using base::Result;
using base::Status;

Result<std::string> ParseDetachKeys(const std::string& spec) {
  const std::string text = spec.empty() ? kDefaultDetachKeys : spec;
  auto invalid = [&] { return Status::Error("Invalid detach keys (" + text + ") provided"); };
  std::string bytes;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    std::string key = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (key.size() == 1) {
      bytes += key[0];
    } else {
      std::string lower;
      for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.size() != 6 || lower.rfind("ctrl-", 0) != 0) return invalid();
      char c = lower[5];
      if (c >= 'a' && c <= 'z') {
        bytes += static_cast<char>(c - 'a' + 1);
      } else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_') {
        bytes += static_cast<char>(c == '@' ? 0 : c - '[' + 27);
      } else {
        return invalid();
      }
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return bytes;
}

bool DetachKeyFilter::Feed(std::string_view in, std::string* out) {
  if (keys_.empty()) {
    out->append(in);
    return false;
  }
  for (char c : in) {
    if (c == keys_[matched_]) {
      if (++matched_ == keys_.size()) return true;
      continue;
    }
    out->append(keys_, 0, matched_);  // a broken prefix: it was the user's input after all
    matched_ = 0;
    if (c == keys_[0]) {
      if (keys_.size() == 1) return true;
      matched_ = 1;
    } else {
      *out += c;
    }
  }
  return false;
}

}  // namespace hull::api
