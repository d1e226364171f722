#include "rootfs-builder/layer_applier.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "rootfs-builder/safe_path.h"
#include "rootfs-builder/testing/tar_builder.h"

namespace hull::rootfs {
namespace {

using testing::BuildTar;
using testing::Compression;
using testing::Dir;
using testing::File;
using testing::Hardlink;
using testing::Symlink;
using testing::TarEntry;

class LayerApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-layer-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    root_ = dir_ + "/root";
    outside_ = dir_ + "/outside";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
  }
  void TearDown() override { (void)RemoveTree(dir_); }

  base::Result<LayerStats> Apply(const std::string& blob, const LayerExpectation& expect = {}) {
    std::string path = dir_ + "/blob";
    base::UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    EXPECT_TRUE(base::WriteFully(fd.get(), blob.data(), blob.size()).ok());
    lseek(fd.get(), 0, SEEK_SET);
    return ApplyLayer(fd.get(), expect, root_);
  }
  bool Exists(const std::string& rel) {
    struct stat st;
    return lstat((root_ + "/" + rel).c_str(), &st) == 0;
  }
  std::string Read(const std::string& rel) {
    auto s = base::ReadFileToString(root_ + "/" + rel);
    return s.ok() ? *s : "<missing>";
  }
  void ExpectRejected(const std::vector<TarEntry>& entries, const std::string& entry_name) {
    auto r = Apply(BuildTar(entries));
    ASSERT_FALSE(r.ok()) << "applied a layer with " << entry_name;
    EXPECT_NE(r.status().message().find(entry_name), std::string::npos) << r.status().message();
    struct stat st;
    EXPECT_NE(lstat((outside_ + "/pwned").c_str(), &st), 0) << "wrote outside the root";
    EXPECT_NE(lstat((dir_ + "/pwned").c_str(), &st), 0) << "wrote outside the root";
  }

  std::string dir_, root_, outside_;
};

TEST_F(LayerApplierTest, AppliesEveryFileTypeWithMetadata) {
  TarEntry suid = File("bin/tool", "#!/bin/sh\n", 04755);
  suid.uid = 1000;
  suid.gid = 1001;
  suid.mtime = 1234567890;
  TarEntry chr;
  chr.type = TarEntry::kCharDev;
  chr.path = "dev/null";
  chr.major = 1;
  chr.minor = 3;
  chr.mode = 0666;
  TarEntry fifo;
  fifo.type = TarEntry::kFifo;
  fifo.path = "run/fifo";
  TarEntry attr = File("etc/attr", "x");
  attr.xattrs["trusted.hull"] = "value";
  auto r = Apply(BuildTar({Dir("bin"), suid, Symlink("bin/sh", "busybox"),
                           Hardlink("bin/tool2", "bin/tool"), Dir("dev"), chr, fifo, attr,
                           File("deep/implicit/file", "data")}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtime, 1234567890);
  EXPECT_EQ(st.st_nlink, 2u);
  struct stat st2;
  ASSERT_EQ(lstat((root_ + "/bin/tool2").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);
  char target[64] = {};
  ASSERT_GT(readlink((root_ + "/bin/sh").c_str(), target, sizeof target), 0);
  EXPECT_STREQ(target, "busybox");
  ASSERT_EQ(lstat((root_ + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  ASSERT_EQ(lstat((root_ + "/run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  char value[16] = {};
  std::string probe = dir_ + "/xattr-probe";
  base::UniqueFd(open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  bool supported = setxattr(probe.c_str(), "trusted.probe", "1", 1, 0) == 0;
  if (supported) {
    ASSERT_GE(getxattr((root_ + "/etc/attr").c_str(), "trusted.hull", value, sizeof value), 0)
        << "xattr lost although the file system supports it";
    EXPECT_STREQ(value, "value");
  }
  EXPECT_EQ(Read("deep/implicit/file"), "data");
  EXPECT_EQ(r->entries, 9u);
}

TEST_F(LayerApplierTest, WhiteoutsHideLowerLayersOnly) {
  ASSERT_TRUE(Apply(BuildTar({Dir("a"), File("a/keep", "1"), File("a/gone", "2"),
                              Dir("b"), File("b/old1", "3"), Dir("b/oldsub"),
                              File("b/oldsub/x", "4")}))
                  .ok());
  auto r = Apply(BuildTar({File("a/.wh.gone", ""), File("b/new", "5"),
                           File("b/.wh..wh..opq", ""), File("c/.wh.never-existed", "")}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Read("a/keep"), "1");
  EXPECT_FALSE(Exists("a/gone"));
  EXPECT_FALSE(Exists("a/.wh.gone"));
  EXPECT_FALSE(Exists("b/old1"));
  EXPECT_FALSE(Exists("b/oldsub"));
  EXPECT_EQ(Read("b/new"), "5") << "opaque whiteout removed an entry of its own layer";
  EXPECT_FALSE(Exists("b/.wh..wh..opq"));
  EXPECT_FALSE(Exists("c")) << "a whiteout created its parent directory";
}

TEST_F(LayerApplierTest, LaterLayerReplacesDirectoryWithFile) {
  ASSERT_TRUE(Apply(BuildTar({Dir("x"), File("x/y", "1")})).ok());
  ASSERT_TRUE(Apply(BuildTar({File("x", "now a file")})).ok());
  EXPECT_EQ(Read("x"), "now a file");
}

TEST_F(LayerApplierTest, GzipAndZstdLayersReportBothDigests) {
  std::vector<TarEntry> entries = {File("f", std::string(100000, 'z'))};
  std::string tar = BuildTar(entries);
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    std::string blob = BuildTar(entries, c);
    LayerExpectation want{Sha256Of(blob), static_cast<int64_t>(blob.size()), Sha256Of(tar)};
    auto r = Apply(blob, want);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->diff_id, Sha256Of(tar));
    EXPECT_EQ(Read("f").size(), 100000u);
  }
}

TEST_F(LayerApplierTest, WrongDigestsAndSizesAreErrors) {
  std::string blob = BuildTar({File("f", "x")}, Compression::kGzip);
  auto r = Apply(blob, {Sha256Of("other"), -1, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("digest mismatch"), std::string::npos);
  r = Apply(blob, {{}, static_cast<int64_t>(blob.size()) + 1, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("size mismatch"), std::string::npos);
  r = Apply(blob, {{}, -1, Sha256Of("not the tar")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("diff ID"), std::string::npos);
}

TEST_F(LayerApplierTest, TruncatedAndCorruptLayersAreErrors) {
  std::string blob = BuildTar({File("f", std::string(200000, 'q') + "end")}, Compression::kGzip);
  EXPECT_FALSE(Apply(blob.substr(0, blob.size() / 2)).ok());
  std::string corrupt = blob;
  corrupt[corrupt.size() / 2] ^= 0x55;
  corrupt[corrupt.size() / 2 + 1] ^= 0x55;
  EXPECT_FALSE(Apply(corrupt).ok());
  std::string zst = BuildTar({File("f", std::string(200000, 'q'))}, Compression::kZstd);
  EXPECT_FALSE(Apply(zst.substr(0, zst.size() - 10)).ok());
  EXPECT_FALSE(Apply("this is not a tar archive at all, just some text.....").ok());
}

TEST_F(LayerApplierTest, RejectsDotDotEntry) {
  ExpectRejected({File("../pwned", "x")}, "../pwned");
  ExpectRejected({File("a/../../pwned", "x")}, "a/../../pwned");
}

TEST_F(LayerApplierTest, RejectsAbsoluteEntry) {
  ExpectRejected({File(outside_ + "/pwned", "x")}, outside_ + "/pwned");
}

TEST_F(LayerApplierTest, RejectsWritingThroughSymlinkedParent) {
  ExpectRejected({Symlink("escape", outside_), File("escape/pwned", "x")}, "escape/pwned");
  ExpectRejected({Symlink("up", ".."), File("up/pwned", "x")}, "up/pwned");
}

TEST_F(LayerApplierTest, RejectsSymlinkParentFromLowerLayer) {
  ASSERT_TRUE(Apply(BuildTar({Symlink("lib", outside_)})).ok());
  ExpectRejected({Dir("lib/sub"), File("lib/sub/pwned", "x")}, "lib/sub");
}

TEST_F(LayerApplierTest, RejectsHardLinksOutOfTheRoot) {
  ASSERT_EQ(symlink(outside_.c_str(), (root_ + "/out").c_str()), 0);
  base::UniqueFd secret(open((outside_ + "/secret").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ExpectRejected({Hardlink("stolen", "../outside/secret")}, "../outside/secret");
  ExpectRejected({Hardlink("stolen", outside_ + "/secret")}, outside_ + "/secret");
  ExpectRejected({Hardlink("stolen", "out/secret")}, "out/secret");
  EXPECT_FALSE(Exists("stolen"));
}

TEST_F(LayerApplierTest, SymlinksPointingOutsideAreStoredNotFollowed) {
  ASSERT_TRUE(Apply(BuildTar({Symlink("etc-link", "/etc"), File("etc-link", "replaced")})).ok());
  EXPECT_EQ(Read("etc-link"), "replaced");
  struct stat st;
  EXPECT_EQ(lstat("/etc", &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

}  // namespace
}  // namespace hull::rootfs
