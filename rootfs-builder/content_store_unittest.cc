#include "rootfs-builder/content_store.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "rootfs-builder/safe_path.h"

namespace hull::rootfs {
namespace {

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-store-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = ContentStore::Open(dir_ + "/store");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_.emplace(std::move(*s));
  }
  void TearDown() override { (void)RemoveTree(dir_); }
  int CountTmp() {
    int n = 0;
    DIR* d = opendir((dir_ + "/store/tmp").c_str());
    while (struct dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
    return n;
  }
  std::string dir_;
  std::optional<ContentStore> store_;
};

TEST_F(ContentStoreTest, PutBlobStoresUnderItsDigest) {
  auto d = store_->PutBlob("hello");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, Sha256Of("hello"));
  EXPECT_TRUE(store_->HasBlob(*d));
  auto back = store_->ReadBlob(*d);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "hello");
}

TEST_F(ContentStoreTest, WrongDigestLeavesNothingBehind) {
  auto d = store_->PutBlob("hello", Sha256Of("other"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("digest mismatch"), std::string::npos);
  EXPECT_FALSE(store_->HasBlob(Sha256Of("hello")));
  EXPECT_EQ(CountTmp(), 0);
}

TEST_F(ContentStoreTest, WrongSizeIsRejected) {
  auto w = store_->NewBlob();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Write("abc", 3).ok());
  auto d = w->Commit(Sha256Of("abc"), 4);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("size mismatch"), std::string::npos);
}

TEST_F(ContentStoreTest, ReadBlobDetectsCorruptionOnDisk) {
  auto d = store_->PutBlob("hello");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(WriteFileAtomically(store_->BlobPath(*d), "HELLO").ok());
  EXPECT_FALSE(store_->ReadBlob(*d).ok());
}

TEST_F(ContentStoreTest, ImageRecordsAndGarbageCollection) {
  std::string manifest = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                         Sha256Of("config").str() + R"(","size":6},"layers":[]})";
  auto m = store_->PutBlob(manifest);
  auto c = store_->PutBlob("config");
  auto orphan = store_->PutBlob("orphan");
  ASSERT_TRUE(m.ok() && c.ok() && orphan.ok());
  ImageRecord r;
  r.name = "docker.io/library/a:latest";
  r.manifest = *m;
  r.config = *c;
  r.chain_id = Sha256Of("");
  ASSERT_TRUE(store_->PutImage(r).ok());
  r.name = "docker.io/library/b:latest";
  ASSERT_TRUE(store_->PutImage(r).ok());
  ASSERT_EQ(store_->ListImages()->size(), 2u);
  ASSERT_TRUE(store_->CollectGarbage().ok());
  EXPECT_FALSE(store_->HasBlob(*orphan));
  EXPECT_TRUE(store_->HasBlob(*m));
  ASSERT_TRUE(*store_->RemoveImage("docker.io/library/a:latest"));
  ASSERT_TRUE(store_->CollectGarbage().ok());
  EXPECT_TRUE(store_->HasBlob(*c)) << "still referenced by b";
  ASSERT_TRUE(*store_->RemoveImage("docker.io/library/b:latest"));
  EXPECT_FALSE(*store_->RemoveImage("docker.io/library/b:latest"));
  ASSERT_TRUE(store_->CollectGarbage().ok());
  EXPECT_FALSE(store_->HasBlob(*c));
  EXPECT_FALSE(store_->HasBlob(*m));
}

}  // namespace
}  // namespace hull::rootfs
