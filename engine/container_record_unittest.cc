#include "engine/container_record.h"

#include <gtest/gtest.h>

namespace hull::engine {
namespace {

TEST(ContainerRecord, RoundTripsThroughJson) {
  ContainerRecord r;
  r.id = NewId();
  r.name = "web";
  r.image = "hull/busybox";
  r.config = {{"Cmd", {"echo", "hi"}}};
  r.host_config = {{"AutoRemove", true}};
  r.state = ContainerState::kExited;
  r.exit_code = 3;
  r.created = NowRfc3339Nano();
  auto back = RecordFromJson(RecordToJson(r).dump());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->name, "web");
  EXPECT_EQ(back->state, ContainerState::kExited);
  EXPECT_EQ(back->exit_code, 3);
  EXPECT_EQ(back->config["Cmd"][1], "hi");
  EXPECT_TRUE(back->host_config["AutoRemove"].get<bool>());
}

TEST(ContainerRecord, RejectsMalformedRecords) {
  EXPECT_FALSE(RecordFromJson("{").ok());
  EXPECT_FALSE(RecordFromJson("[]").ok());
  EXPECT_FALSE(RecordFromJson(R"({"Id":"short","Name":"a","Image":"b"})").ok());
}

TEST(ContainerRecord, NewIdIs64Hex) {
  std::string id = NewId();
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(id, NewId());
}

TEST(ContainerRecord, ValidNameFollowsDockersRule) {
  EXPECT_TRUE(ValidName("web-1.a_b"));
  EXPECT_FALSE(ValidName("../etc"));
  EXPECT_FALSE(ValidName("a/b"));
  EXPECT_FALSE(ValidName("-x"));
  EXPECT_FALSE(ValidName("x"));
  EXPECT_FALSE(ValidName(""));
}

TEST(ContainerRecord, TimestampIsRfc3339Nano) {
  std::string t = NowRfc3339Nano();
  ASSERT_EQ(t.size(), 30u) << t;
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

}  // namespace
}  // namespace hull::engine
