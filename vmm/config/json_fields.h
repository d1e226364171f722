// The field readers behind hull-vmm's config file (config_file.cc) and its device
// sections (device_sections.cc): a JSON object whose unknown fields are errors (like
// Firecracker's deny_unknown_fields), typed reads whose errors name the field and say
// what was found. Internal to vmm/config.
#pragma once

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "vmm/config/number_text.h"

namespace hull::vmm::config_json {

using base::Result;
using base::Status;
using json = nlohmann::json;

template <typename E>
struct EnumName {
  const char* name;
  E value;
};

template <typename E, size_t N>
const char* NameOf(const EnumName<E> (&names)[N], E value) {
  for (const auto& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

// `string "x"`, `number -1`, `array`: what an error says it found. Containers are not
// printed, so a hostile, deeply nested value is never walked recursively.
inline std::string Describe(const json& value) {
  std::string text = value.type_name();
  if (value.is_primitive() && !value.is_null()) {
    std::string dumped = value.dump(-1, ' ', false, json::error_handler_t::replace);
    if (dumped.size() > 60) dumped = dumped.substr(0, 57) + "...";
    text += " " + dumped;
  }
  return text;
}

inline std::string Quote(std::string_view text) {
  return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

inline Status TypeError(const std::string& path, const char* expected, const json& value) {
  return Status::Error(path + " must be " + expected + ", got " + Describe(value));
}

// One JSON object being read. Its field names are checked against the known ones when
// it is opened: unknown fields are errors, like Firecracker's deny_unknown_fields.
class Object {
 public:
  static Result<Object> Open(const json& value, std::string path,
                             std::initializer_list<const char*> known) {
    if (!value.is_object()) {
      return TypeError(path.empty() ? "the config file" : path, "a JSON object", value);
    }
    for (const auto& item : value.items()) {
      bool found = std::any_of(known.begin(), known.end(),
                               [&](const char* name) { return item.key() == name; });
      if (found) continue;
      std::string expected;
      for (const char* name : known) expected += std::string(expected.empty() ? "" : ", ") + name;
      return Status::Error("unknown field " + Quote(item.key()) + " " +
                           (path.empty() ? "at the top level" : "in " + path) +
                           " (known fields: " + expected + ")");
    }
    return Object(&value, std::move(path));
  }

  // nullptr when the field is absent or null: null means "not given", as with
  // Firecracker's optional fields.
  const json* Find(const char* key) const {
    auto it = value_->find(key);
    return it == value_->end() || it->is_null() ? nullptr : &*it;
  }
  std::string PathOf(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

 private:
  Object(const json* value, std::string path) : value_(value), path_(std::move(path)) {}
  const json* value_;
  std::string path_;
};

inline Status ReadString(const Object& obj, const char* key, std::string* out) {
  const json* value = obj.Find(key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_string()) return TypeError(obj.PathOf(key), "a string", *value);
  *out = value->get<std::string>();
  return Status::Ok();
}

inline Status ReadBool(const Object& obj, const char* key, bool* out) {
  const json* value = obj.Find(key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_boolean()) return TypeError(obj.PathOf(key), "true or false", *value);
  *out = value->get<bool>();
  return Status::Ok();
}

inline Status ReadNumber(const Object& obj, const char* key, double* out) {
  const json* value = obj.Find(key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_number()) return TypeError(obj.PathOf(key), "a number", *value);
  *out = value->get<double>();
  return Status::Ok();
}

// An unsigned integer that fits T. With `allow_text`, also a string such as "0x1f".
template <typename T>
Result<T> ToUnsigned(const json& value, const std::string& path, bool allow_text) {
  constexpr uint64_t kMax = std::numeric_limits<T>::max();
  const std::string too_large = path + " is too large: " + Describe(value) + " (at most " +
                                std::to_string(kMax) + ")";
  uint64_t number = 0;
  if (value.is_number_unsigned()) {
    number = value.get<uint64_t>();
  } else if (value.is_number_integer()) {
    return Status::Error(path + " must not be negative, got " + Describe(value));
  } else if (value.is_number_float()) {
    double d = value.get<double>();
    if (d < 0) return Status::Error(path + " must not be negative, got " + Describe(value));
    if (d >= std::ldexp(1.0, std::numeric_limits<T>::digits)) return Status::Error(too_large);
    return TypeError(path, "an integer (no fraction or exponent)", value);
  } else if (allow_text && value.is_string()) {
    std::optional<uint64_t> parsed = internal::ParseUnsignedText(value.get<std::string>());
    if (!parsed) return TypeError(path, "a decimal or \"0x\" hexadecimal number", value);
    number = *parsed;
  } else {
    return TypeError(path, allow_text ? "an unsigned integer or a \"0x...\" string"
                                      : "an unsigned integer", value);
  }
  if (number > kMax) return Status::Error(too_large);
  return static_cast<T>(number);
}

template <typename T>
Status ReadUnsigned(const Object& obj, const char* key, T* out, bool allow_text = false) {
  const json* value = obj.Find(key);
  if (value == nullptr) return Status::Ok();
  ASSIGN_OR_RETURN(*out, ToUnsigned<T>(*value, obj.PathOf(key), allow_text));
  return Status::Ok();
}

template <typename E, size_t N>
Status ReadEnum(const Object& obj, const char* key, const EnumName<E> (&names)[N], E* out) {
  std::string text;
  bool given = obj.Find(key) != nullptr;
  RETURN_IF_ERROR(ReadString(obj, key, &text));
  if (!given) return Status::Ok();
  std::string choices;
  for (const auto& entry : names) {
    if (text == entry.name) {
      *out = entry.value;
      return Status::Ok();
    }
    choices += std::string(choices.empty() ? "" : ", ") + Quote(entry.name);
  }
  return Status::Error(obj.PathOf(key) + " must be one of " + choices + ", got " + Quote(text));
}

}  // namespace hull::vmm::config_json
