#include "runtime/namespace/capabilities.h"

#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>

namespace hull::runtime::ns {

using base::Result;
using base::Status;

namespace {

int LastCap() {
  int last = static_cast<int>(cap_max_bits()) - 1;
  return std::clamp(last, 0, 63);
}

Result<int> CapNumber(std::string name) {
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.rfind("cap_", 0) != 0) name = "cap_" + name;
  cap_value_t value;
  if (cap_from_name(name.c_str(), &value) != 0 || value < 0 || value > LastCap()) {
    std::string upper = name;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return Status::Error("unknown capability: \"" + upper + "\"");
  }
  return static_cast<int>(value);
}

bool IsAll(const std::string& name) {
  std::string n = name;
  for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n == "ALL" || n == "CAP_ALL";
}

}  // namespace

CapSet DockerDefaultCaps() {
  const int caps[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
                      CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
                      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE};
  CapSet set = 0;
  for (int c : caps) set |= CapSet{1} << c;
  return set;
}

CapSet AllCaps() {
  // What this process can still hand out: its own bounding set (which, inside another
  // container, may lack some of what the kernel knows).
  CapSet set = 0;
  for (int c = 0; c <= LastCap(); ++c) {
    if (::prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) set |= CapSet{1} << c;
  }
  return set;
}

Result<CapSet> ResolveCaps(bool privileged, const std::vector<std::string>& add,
                           const std::vector<std::string>& drop) {
  CapSet set = privileged ? AllCaps() : DockerDefaultCaps();
  CapSet added = 0;
  for (const auto& name : add) {
    if (IsAll(name)) {
      added |= AllCaps();
      continue;
    }
    ASSIGN_OR_RETURN(int n, CapNumber(name));
    added |= CapSet{1} << n;
  }
  for (const auto& name : drop) {
    if (IsAll(name)) {
      set = 0;
      continue;
    }
    ASSIGN_OR_RETURN(int n, CapNumber(name));
    set &= ~(CapSet{1} << n);
    added &= ~(CapSet{1} << n);
  }
  return set | added;
}

std::vector<std::string> CapNames(CapSet caps) {
  std::vector<std::string> names;
  for (int c = 0; c <= LastCap(); ++c) {
    if (!(caps & (CapSet{1} << c))) continue;
    char* text = cap_to_name(c);
    std::string name = text ? text : "cap_" + std::to_string(c);
    cap_free(text);
    for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    names.push_back(name);
  }
  return names;
}

Status DropBoundingCaps(CapSet caps) {
  for (int c = 0; c <= LastCap(); ++c) {
    if (caps & (CapSet{1} << c)) continue;
    if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
      return Status::Errno("dropping capability " + std::to_string(c) + " from the bounding set");
    }
  }
  return Status::Ok();
}

Status SetProcessCaps(CapSet caps) {
  cap_t state = cap_init();  // all sets clear
  if (!state) return Status::Errno("cap_init");
  std::vector<cap_value_t> values;
  for (int c = 0; c <= LastCap(); ++c) {
    if (caps & (CapSet{1} << c)) values.push_back(c);
  }
  Status result;
  if (!values.empty() &&
      (cap_set_flag(state, CAP_PERMITTED, static_cast<int>(values.size()), values.data(), CAP_SET) != 0 ||
       cap_set_flag(state, CAP_EFFECTIVE, static_cast<int>(values.size()), values.data(), CAP_SET) != 0)) {
    result = Status::Errno("cap_set_flag");
  } else if (cap_set_proc(state) != 0) {
    result = Status::Errno("setting capabilities");
  } else if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    result = Status::Errno("clearing ambient capabilities");
  }
  cap_free(state);
  return result;
}

}  // namespace hull::runtime::ns
