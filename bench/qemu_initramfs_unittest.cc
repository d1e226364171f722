#include "bench/qemu_initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace hull::bench {
namespace {

namespace fs = std::filesystem;

TEST(QemuInitramfs, InitRunsTheQuotedCommandThenReboots) {
  std::string script = InitScript({"sh", "-c", "echo 'a b'; true"});
  EXPECT_NE(script.find("\n'sh' '-c' 'echo '\\''a b'\\''; true'\necho hull-bench-exit=$?\nreboot -f\n"), std::string::npos)
      << script;
  EXPECT_EQ(script.rfind("#!/bin/sh\n", 0), 0u);
}

TEST(QemuInitramfs, HoldsTheTreeTheConsoleAndInit) {
  char tmpl[] = "/tmp/hull-bench-initramfs.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  fs::create_directories(dir + "/tree/bin");
  std::ofstream(dir + "/tree/bin/busybox") << "binary";
  fs::create_symlink("busybox", dir + "/tree/bin/sh");
  // HULL_BENCH_INITRAMFS_OUT keeps a copy to boot by hand.
  const char* keep = std::getenv("HULL_BENCH_INITRAMFS_OUT");
  std::string path = keep ? keep : dir + "/initramfs.cpio";
  ASSERT_TRUE(WriteTreeInitramfs(path, dir + "/tree", {"true"}).ok());

  std::map<std::string, std::pair<mode_t, std::string>> entries;  // name → mode, link or data
  archive* a = archive_read_new();
  archive_read_support_format_cpio(a);
  ASSERT_EQ(archive_read_open_filename(a, path.c_str(), 16384), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data;
    if (const char* link = archive_entry_symlink(e)) data = link;
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, n);
    entries[archive_entry_pathname(e)] = {archive_entry_mode(e), data};
  }
  archive_read_free(a);
  fs::remove_all(dir);

  ASSERT_TRUE(entries.count("bin/busybox"));
  EXPECT_EQ(entries["bin/busybox"].second, "binary");
  ASSERT_TRUE(entries.count("bin/sh"));
  EXPECT_TRUE(S_ISLNK(entries["bin/sh"].first));
  EXPECT_EQ(entries["bin/sh"].second, "busybox");
  ASSERT_TRUE(entries.count("dev/console"));
  EXPECT_TRUE(S_ISCHR(entries["dev/console"].first));
  ASSERT_TRUE(entries.count("init"));
  EXPECT_EQ(entries["init"].first & 0777, 0755u);
  EXPECT_NE(entries["init"].second.find("\n'true'\n"), std::string::npos);
  for (const char* d : {"bin", "dev", "proc", "tmp"}) {
    ASSERT_TRUE(entries.count(d)) << d;
    EXPECT_TRUE(S_ISDIR(entries[d].first)) << d;
  }
}

}  // namespace
}  // namespace hull::bench
