#include "runtime/namespace/user.h"

#include <gtest/gtest.h>

namespace hull::runtime::ns {
namespace {

const char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# comment\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "web:x:1000:1001::/home/web:/bin/sh\n"
    "broken line\n";
const char kGroup[] =
    "root:x:0:\n"
    "wheel:x:10:root,web\n"
    "web:x:1001:\n"
    "audio:x:29:web\n";

TEST(ResolveUser, DefaultIsRootWithItsGroupsAndHome) {
  auto u = ResolveUser("", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/root");
  EXPECT_EQ(u->groups, std::vector<gid_t>{10});
}

TEST(ResolveUser, NameGivesUidGidHomeAndSupplementaryGroups) {
  auto u = ResolveUser("web", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1001u);
  EXPECT_EQ(u->home, "/home/web");
  EXPECT_EQ(u->groups, (std::vector<gid_t>{10, 29}));
}

TEST(ResolveUser, NumericIdsNeedNoEntry) {
  auto u = ResolveUser("4242:4343", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 4343u);
  EXPECT_EQ(u->home, "/");
  auto d = ResolveUser("1", kPasswd, kGroup);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->gid, 1u);
  EXPECT_EQ(d->home, "/usr/sbin");
}

TEST(ResolveUser, GroupByName) {
  auto u = ResolveUser("daemon:audio", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1u);
  EXPECT_EQ(u->gid, 29u);
}

TEST(ResolveUser, UnknownNamesAreErrorsThatSayWhich) {
  auto u = ResolveUser("nobody", kPasswd, kGroup);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(), "unable to find user nobody: no matching entries in passwd file");
  auto g = ResolveUser("web:nogroup", kPasswd, kGroup);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("unable to find group nogroup"), std::string::npos);
  EXPECT_FALSE(ResolveUser("web", "", "").ok());
}

}  // namespace
}  // namespace hull::runtime::ns
