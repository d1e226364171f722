#include "runtime/namespace/user.h"

#include <charconv>
#include <sstream>

namespace hull::runtime::ns {

using base::Result;
using base::Status;

namespace {

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    size_t pos = line.find(sep, start);
    fields.push_back(line.substr(start, pos - start));
    if (pos == std::string::npos) return fields;
    start = pos + 1;
  }
}

bool ParseId(const std::string& text, uint32_t* out) {
  if (text.empty()) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size();
}

// Each non-comment line of a colon-separated file with at least `min_fields` fields.
std::vector<std::vector<std::string>> Entries(const std::string& text, size_t min_fields) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = Split(line, ':');
    if (f.size() >= min_fields) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

Result<ResolvedUser> ResolveUser(const std::string& spec, const std::string& passwd,
                                 const std::string& group) {
  ResolvedUser u;
  if (spec.empty()) {
    for (const auto& f : Entries(passwd, 7)) {
      if (f[2] == "0") {
        u.home = f[5].empty() ? "/" : f[5];
        break;
      }
    }
  }
  std::string user_part = spec.substr(0, spec.find(':'));
  std::string group_part = spec.find(':') == std::string::npos ? "" : spec.substr(spec.find(':') + 1);
  std::string user_name;
  if (!user_part.empty()) {
    uint32_t id;
    bool numeric = ParseId(user_part, &id);
    bool found = false;
    for (const auto& f : Entries(passwd, 7)) {
      uint32_t uid, gid;
      if (!ParseId(f[2], &uid) || !ParseId(f[3], &gid)) continue;
      if (numeric ? uid == id : f[0] == user_part) {
        u.uid = uid;
        u.gid = gid;
        u.home = f[5].empty() ? "/" : f[5];
        user_name = f[0];
        found = true;
        break;
      }
    }
    if (!found && !numeric) {
      return Status::Error("unable to find user " + user_part + ": no matching entries in passwd file");
    }
    if (!found) u.uid = id;  // a numeric uid with no entry: gid 0, as in Docker
  }
  if (!group_part.empty()) {
    uint32_t id;
    bool numeric = ParseId(group_part, &id);
    bool found = false;
    for (const auto& f : Entries(group, 3)) {
      uint32_t gid;
      if (!ParseId(f[2], &gid)) continue;
      if (numeric ? gid == id : f[0] == group_part) {
        u.gid = gid;
        found = true;
        break;
      }
    }
    if (!found && !numeric) {
      return Status::Error("unable to find group " + group_part + ": no matching entries in group file");
    }
    if (!found) u.gid = id;
  }
  if (!user_name.empty() || spec.empty()) {
    std::string name = user_name.empty() ? "root" : user_name;
    for (const auto& f : Entries(group, 4)) {
      uint32_t gid;
      if (!ParseId(f[2], &gid) || gid == u.gid) continue;
      for (const auto& member : Split(f[3], ',')) {
        if (member == name) u.groups.push_back(gid);
      }
    }
  }
  return u;
}

}  // namespace hull::runtime::ns
