#include "guest/init/identity.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hull::guest::init {
namespace {

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!line.empty() && line.back() == sep) out.push_back("");
  return out;
}

bool ParseId(const std::string& text, unsigned long* id) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  *id = std::strtoul(text.c_str(), nullptr, 10);
  return *id <= 0xfffffffeul;
}

// Lines of a colon-separated database with at least `fields` fields.
std::vector<std::vector<std::string>> ReadDb(const char* path, size_t fields) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = Split(line, ':');
    if (f.size() >= fields) rows.push_back(std::move(f));
  }
  return rows;
}

}  // namespace

base::Result<Identity> ResolveUser(const std::string& spec) {
  Identity id;
  if (spec.empty()) {
    id.home = "/root";
    return id;
  }
  std::string user = spec, group;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    user = spec.substr(0, colon);
    group = spec.substr(colon + 1);
  }
  auto passwd = ReadDb("/etc/passwd", 7);
  unsigned long n;
  std::string name;
  bool numeric = ParseId(user, &n);
  bool found = false;
  for (const auto& p : passwd) {
    unsigned long puid;
    if ((numeric && ParseId(p[2], &puid) && puid == n) || (!numeric && p[0] == user)) {
      unsigned long pgid = 0;
      ParseId(p[2], &puid);
      ParseId(p[3], &pgid);
      id.uid = static_cast<uid_t>(puid);
      id.gid = static_cast<gid_t>(pgid);
      id.home = p[5].empty() ? "/" : p[5];
      name = p[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (!numeric)
      return base::Status::Error("unable to find user " + user +
                                 ": no matching entries in passwd file");
    id.uid = static_cast<uid_t>(n);
    id.gid = 0;
  }
  auto groups = ReadDb("/etc/group", 3);
  if (!group.empty()) {
    bool gnum = ParseId(group, &n);
    bool gfound = false;
    for (const auto& g : groups) {
      unsigned long ggid;
      if (!ParseId(g[2], &ggid)) continue;
      if ((gnum && ggid == n) || (!gnum && g[0] == group)) {
        id.gid = static_cast<gid_t>(ggid);
        gfound = true;
        break;
      }
    }
    if (!gfound) {
      if (!gnum)
        return base::Status::Error("unable to find group " + group +
                                   ": no matching entries in group file");
      id.gid = static_cast<gid_t>(n);
    }
  }
  id.groups.push_back(id.gid);
  if (!name.empty()) {
    for (const auto& g : groups) {
      unsigned long ggid;
      if (g.size() < 4 || !ParseId(g[2], &ggid)) continue;
      for (const auto& member : Split(g[3], ','))
        if (member == name && ggid != id.gid) id.groups.push_back(static_cast<gid_t>(ggid));
    }
  }
  return id;
}

}  // namespace hull::guest::init
