#include "tests/rootfs/tree_compare.h"

#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>

#include "rootfs-builder/digest.h"

namespace hull::rootfs::testing {

namespace {

thread_local std::map<std::string, std::string>* g_out;
thread_local size_t g_prefix;

int Visit(const char* path, const struct stat* st, int, struct FTW*) {
  std::string rel = std::string(path).substr(g_prefix);
  if (rel.empty()) return 0;
  char head[96];
  std::snprintf(head, sizeof head, "%06o %u:%u ", st->st_mode, st->st_uid, st->st_gid);
  std::string desc = head;
  if (S_ISLNK(st->st_mode)) {
    char target[4096];
    ssize_t n = readlink(path, target, sizeof target);
    desc += "-> " + std::string(target, n > 0 ? static_cast<size_t>(n) : 0);
  } else if (S_ISREG(st->st_mode)) {
    auto d = Sha256OfFile(path);
    desc += d.ok() ? d->str() : "unreadable";
    desc += " links=" + std::to_string(st->st_nlink);
  } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
    desc += "dev " + std::to_string(major(st->st_rdev)) + "," + std::to_string(minor(st->st_rdev));
  }
  (*g_out)[rel] = desc;
  return 0;
}

}  // namespace

std::map<std::string, std::string> DescribeTree(const std::string& root) {
  std::map<std::string, std::string> out;
  g_out = &out;
  g_prefix = root.size();
  nftw(root.c_str(), &Visit, 32, FTW_PHYS);
  return out;
}

std::string DiffTrees(const std::map<std::string, std::string>& want,
                      const std::map<std::string, std::string>& got) {
  std::string diff;
  for (const auto& [path, desc] : want) {
    auto it = got.find(path);
    if (it == got.end()) diff += "missing " + path + " (" + desc + ")\n";
    else if (it->second != desc) diff += "differs " + path + ": want " + desc + ", got " + it->second + "\n";
  }
  for (const auto& [path, desc] : got) {
    if (!want.count(path)) diff += "extra " + path + " (" + desc + ")\n";
  }
  return diff;
}

}  // namespace hull::rootfs::testing
