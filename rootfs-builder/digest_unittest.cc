#include "rootfs-builder/digest.h"

#include <gtest/gtest.h>

#include "rootfs-builder/manifest.h"

namespace hull::rootfs {
namespace {

TEST(Digest, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Of("abc").str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ParseRejectsOtherAlgorithmsAndBadHex) {
  EXPECT_TRUE(Digest::Parse("sha256:" + std::string(64, '0')).ok());
  EXPECT_FALSE(Digest::Parse("sha512:" + std::string(128, '0')).ok());
  EXPECT_FALSE(Digest::Parse("sha256:" + std::string(63, '0')).ok());
  EXPECT_FALSE(Digest::Parse("sha256:" + std::string(64, 'A')).ok());
}

TEST(Digest, CheckDigestNamesBoth) {
  base::Status s = CheckDigest("layer", Sha256Of("a"), Sha256Of("b"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(Sha256Of("a").str()), std::string::npos);
  EXPECT_NE(s.message().find(Sha256Of("b").str()), std::string::npos);
}

TEST(Digest, ChainIdFollowsOciDefinition) {
  Digest a = Sha256Of("a"), b = Sha256Of("b");
  EXPECT_EQ(ChainId({a}), a);
  EXPECT_EQ(ChainId({a, b}), Sha256Of(a.str() + " " + b.str()));
}

}  // namespace
}  // namespace hull::rootfs
