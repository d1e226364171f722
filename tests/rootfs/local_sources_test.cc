// `hull load`, `hull import`, `hull rmi` and `hull image rootfs` end to end through the
// CLI: OCI layouts (directory and tar), docker-archives, imported root filesystems,
// garbage collection, and archives that are broken or hostile.
#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rootfs-builder/digest.h"
#include "rootfs-builder/safe_path.h"
#include "tests/rootfs/local_registry.h"
#include "tests/rootfs/test_image.h"
#include "tests/rootfs/tree_compare.h"

namespace hull::rootfs::testing {
namespace {


class LocalSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto missing = MissingTools({"mkfs.ext4", "e2fsck"}); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    dir_ = MakeTempDir("hull-local");
    store_ = dir_ + "/store";
  }
  void TearDown() override {
    if (!dir_.empty()) (void)RemoveTree(dir_);
  }
  // Tars a directory with the builder (so the test does not depend on tar(1)).
  std::string TarOf(const std::string& layout) {
    std::vector<TarEntry> entries;
    for (const auto& [path, desc] : DescribeTree(layout)) {
      std::string rel = path.substr(1);
      struct stat st;
      lstat((layout + path).c_str(), &st);
      if (S_ISDIR(st.st_mode)) entries.push_back(Dir(rel));
      else entries.push_back(File(rel, *base::ReadFileToString(layout + path, 64u << 20)));
    }
    std::string out = dir_ + "/archive.tar";
    std::ofstream(out, std::ios::binary) << BuildTar(entries);
    return out;
  }
  size_t CountBlobs() { return DescribeTree(store_ + "/blobs/sha256").size(); }
  std::string dir_, store_;
};

TEST_F(LocalSourcesTest, LoadsOciLayoutDirectoryAndTar) {
  WriteOciLayout(dir_ + "/oci", "test", {TestImage()});
  auto dir = Hull(store_, {"load", "-i", dir_ + "/oci", "-t", "local/test:dir"});
  ASSERT_EQ(dir.exit_status, 0) << dir.err;
  EXPECT_NE(dir.out.find("docker.io/local/test:dir"), std::string::npos);
  auto tar = Hull(store_, {"load", "-i", TarOf(dir_ + "/oci"), "-t", "local/test:tar"});
  ASSERT_EQ(tar.exit_status, 0) << tar.err;
  auto tree = Hull(store_, {"image", "rootfs", "local/test:tar", "--format", "dir", "-o", dir_ + "/t"});
  ASSERT_EQ(tree.exit_status, 0) << tree.err;
  EXPECT_EQ(*base::ReadFileToString(dir_ + "/t/data/a"), "second a");
  struct stat st;
  EXPECT_NE(lstat((dir_ + "/t/gone.txt").c_str(), &st), 0);
  ASSERT_EQ(lstat((dir_ + "/t/data/b-link").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  auto exists = Hull(store_, {"image", "rootfs", "local/test:tar", "-o", dir_ + "/t"});
  EXPECT_NE(exists.exit_status, 0);
  EXPECT_NE(exists.err.find("already exists"), std::string::npos);
  EXPECT_TRUE(Leftovers(store_).empty());
}

TEST_F(LocalSourcesTest, LoadsDockerArchive) {
  std::string layer = BuildTar({Dir("etc"), File("etc/hostname", "docker-archive\n")});
  std::string config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},
    "rootfs":{"type":"layers","diff_ids":[")" + Sha256Of(layer).str() + R"("]}})";
  std::string config_name = std::string(Sha256Of(config).hex()) + ".json";
  std::string manifest = R"([{"Config":")" + config_name +
                         R"(","RepoTags":["saved:1.0"],"Layers":["abc/layer.tar"]}])";
  std::string archive = BuildTar({File("manifest.json", manifest), File(config_name, config),
                                  Dir("abc"), File("abc/layer.tar", layer)});
  std::ofstream(dir_ + "/saved.tar", std::ios::binary) << archive;
  auto load = Hull(store_, {"load", "-i", dir_ + "/saved.tar"});
  ASSERT_EQ(load.exit_status, 0) << load.err;
  EXPECT_NE(load.out.find("docker.io/library/saved:1.0"), std::string::npos) << load.out;
  auto out = Hull(store_, {"image", "rootfs", "saved:1.0", "--format", "ext4", "-o", dir_ + "/s.ext4"});
  ASSERT_EQ(out.exit_status, 0) << out.err;
  EXPECT_EQ(RunTool({"debugfs", "-R", "cat /etc/hostname", dir_ + "/s.ext4"}).out, "docker-archive\n");
  EXPECT_EQ(RunTool({"e2fsck", "-fn", dir_ + "/s.ext4"}).exit_status, 0);
}

TEST_F(LocalSourcesTest, ImportsTarballAndDirectory) {
  std::ofstream(dir_ + "/rootfs.tar.gz", std::ios::binary)
      << BuildTar({Dir("bin"), File("bin/hello", "hi", 0755)}, Compression::kGzip);
  auto tgz = Hull(store_, {"import", dir_ + "/rootfs.tar.gz", "imported:gz"});
  ASSERT_EQ(tgz.exit_status, 0) << tgz.err;
  ::mkdir((dir_ + "/src").c_str(), 0755);
  std::ofstream(dir_ + "/src/file") << "from a directory";
  ::link((dir_ + "/src/file").c_str(), (dir_ + "/src/hardlink").c_str());
  ::symlink("file", (dir_ + "/src/symlink").c_str());
  auto d = Hull(store_, {"import", dir_ + "/src", "imported:dir"});
  ASSERT_EQ(d.exit_status, 0) << d.err;
  auto exported = Hull(store_, {"image", "rootfs", "imported:dir", "-o", dir_ + "/back"});
  ASSERT_EQ(exported.exit_status, 0) << exported.err;
  EXPECT_EQ(DiffTrees(DescribeTree(dir_ + "/src"), DescribeTree(dir_ + "/back")), "");
  auto images = Hull(store_, {"images"});
  EXPECT_NE(images.out.find("imported"), std::string::npos);
  auto bad = Hull(store_, {"import", dir_ + "/does-not-exist", "x:y"});
  EXPECT_NE(bad.exit_status, 0);
  EXPECT_NE(bad.err.find("does-not-exist"), std::string::npos);
}

TEST_F(LocalSourcesTest, RmiRemovesOnlyWhatNothingElseReferences) {
  WriteOciLayout(dir_ + "/oci", "test", {TestImage()});
  ASSERT_EQ(Hull(store_, {"load", "-i", dir_ + "/oci", "-t", "a:1"}).exit_status, 0);
  ASSERT_EQ(Hull(store_, {"load", "-i", dir_ + "/oci", "-t", "b:1"}).exit_status, 0);
  size_t blobs = CountBlobs();
  EXPECT_EQ(blobs, 5u) << "manifest, config, three layers";
  auto rmi = Hull(store_, {"rmi", "a:1"});
  ASSERT_EQ(rmi.exit_status, 0) << rmi.err;
  EXPECT_EQ(CountBlobs(), blobs) << "b:1 still uses them";
  EXPECT_EQ(Hull(store_, {"image", "inspect", "b:1"}).exit_status, 0);
  ASSERT_EQ(Hull(store_, {"rmi", "b:1"}).exit_status, 0);
  EXPECT_EQ(CountBlobs(), 0u);
  EXPECT_TRUE(DescribeTree(store_ + "/rootfs").empty());
  auto again = Hull(store_, {"rmi", "b:1"});
  EXPECT_NE(again.exit_status, 0);
  EXPECT_NE(again.err.find("no such image"), std::string::npos);
}

TEST_F(LocalSourcesTest, BrokenAndHostileArchivesLeaveNothingBehind) {
  // A layer whose bytes do not match its digest.
  WriteOciLayout(dir_ + "/oci", "test", {TestImage()});
  auto index = nlohmann::json::parse(*base::ReadFileToString(dir_ + "/oci/index.json"));
  std::string manifest_hex = std::string(index["manifests"][0]["digest"]).substr(7);
  auto manifest = nlohmann::json::parse(*base::ReadFileToString(dir_ + "/oci/blobs/sha256/" + manifest_hex));
  std::string layer = dir_ + "/oci/blobs/sha256/" + std::string(manifest["layers"][1]["digest"]).substr(7);
  std::fstream(layer, std::ios::in | std::ios::out | std::ios::binary).seekp(20).write("XX", 2);
  auto bad = Hull(store_, {"load", "-i", dir_ + "/oci", "-t", "bad:1"});
  EXPECT_NE(bad.exit_status, 0);
  EXPECT_NE(bad.err.find("digest mismatch"), std::string::npos) << bad.err;

  // A layer with an entry that climbs out of the root.
  ImageSpec evil;
  evil.layers.push_back({{File("ok", "fine"), File("../../escaped", "pwned")}, Compression::kGzip});
  WriteOciLayout(dir_ + "/evil", "evil", {evil});
  auto escape = Hull(store_, {"load", "-i", dir_ + "/evil", "-t", "evil:1"});
  EXPECT_NE(escape.exit_status, 0);
  EXPECT_NE(escape.err.find("../../escaped"), std::string::npos) << escape.err;
  struct stat st;
  EXPECT_NE(lstat((store_ + "/escaped").c_str(), &st), 0);
  EXPECT_NE(lstat((dir_ + "/escaped").c_str(), &st), 0);

  // Not an image at all.
  auto junk = Hull(store_, {"load", "-i", dir_ + "/evil/oci-layout"});
  EXPECT_NE(junk.exit_status, 0);
  EXPECT_EQ(Hull(store_, {"images", "-q"}).out, "");
  EXPECT_TRUE(Leftovers(store_).empty());
  EXPECT_TRUE(DescribeTree(store_ + "/rootfs").empty());
}

}  // namespace
}  // namespace hull::rootfs::testing
