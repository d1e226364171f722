#include "api/detach_keys.h"

#include <gtest/gtest.h>

namespace hull::api {
namespace {

TEST(DetachKeys, ParsesDockersSyntax) {
  EXPECT_EQ(ParseDetachKeys("").value(), std::string("\x10\x11"));  // ctrl-p,ctrl-q
  EXPECT_EQ(ParseDetachKeys("ctrl-a,x").value(), std::string("\x01x"));
  EXPECT_EQ(ParseDetachKeys("CTRL-Z,ctrl-@,ctrl-_").value(), std::string("\x1a\0\x1f", 3));
  EXPECT_EQ(ParseDetachKeys("ctrl-[,ctrl-\\,ctrl-],ctrl-^").value(), std::string("\x1b\x1c\x1d\x1e"));
  for (const char* bad : {"ctrl-", "ctrl-1", "ab", "ctrl-a,,x", "alt-x"}) {
    auto r = ParseDetachKeys(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), std::string("Invalid detach keys (") + bad + ") provided");
  }
}

TEST(DetachKeys, DetachesOnTheWholeSequenceAcrossReads) {
  DetachKeyFilter f("\x10\x11");
  std::string out;
  EXPECT_FALSE(f.Feed("ls\x10", &out));
  EXPECT_EQ(out, "ls");  // the ctrl-p is held back
  EXPECT_TRUE(f.Feed("\x11 after", &out));
  EXPECT_EQ(out, "ls");  // neither the keys nor what follows them reach the container
}

TEST(DetachKeys, ABrokenPrefixIsPassedOn) {
  DetachKeyFilter f("\x10\x11");
  std::string out;
  EXPECT_FALSE(f.Feed("a\x10" "b\x10\x10", &out));
  EXPECT_EQ(out, "a\x10" "b\x10");  // the last ctrl-p may still start the sequence
  EXPECT_TRUE(f.Feed("\x11", &out));
  DetachKeyFilter one("x");
  std::string o2;
  EXPECT_TRUE(one.Feed("abx", &o2));
  EXPECT_EQ(o2, "ab");
}

}  // namespace
}  // namespace hull::api
