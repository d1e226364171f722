// The framing as a hostile peer sees it: every malformed frame is a clean error.
#include "guest/protocol.h"

#include <gtest/gtest.h>

#include "guest/spec.h"

namespace hull::guest {
namespace {

std::string Header(uint8_t type, uint32_t length, uint8_t reserved = 0) {
  std::string h;
  h.push_back(static_cast<char>(type));
  h.append(3, static_cast<char>(reserved));
  for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  return h;
}

TEST(FrameDecoder, ReassemblesFramesFedOneByteAtATime) {
  std::string data(100000 % kMaxPayload, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::string stream = EncodeFrame(FrameType::kStdout, data) +
                       EncodeFrame(FrameType::kStderr, "err") +
                       EncodeExit({.signaled = true, .oom = true, .code = 9});
  FrameDecoder d(Direction::kToHost);
  std::vector<Frame> frames;
  for (char c : stream) {
    d.Feed(std::string_view(&c, 1));
    auto next = d.Next();
    ASSERT_TRUE(next.ok()) << next.status().message();
    if (*next) frames.push_back(std::move(**next));
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].type, FrameType::kStdout);
  EXPECT_EQ(frames[0].payload, data);
  EXPECT_EQ(frames[1].payload, "err");
  auto exit = DecodeExit(frames[2]);
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->signaled);
  EXPECT_TRUE(exit->oom);
  EXPECT_EQ(exit->code, 9);
  EXPECT_EQ(d.pending(), 0u);
}

TEST(FrameDecoder, RejectsOversizedPayloadBeforeBufferingIt) {
  FrameDecoder d(Direction::kToHost);
  d.Feed(Header(0x82, kMaxPayload + 1));
  auto next = d.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("exceeds"), std::string::npos);
  // Once failed, it stays failed even if valid frames follow.
  d.Feed(EncodeFrame(FrameType::kStdout, "x"));
  EXPECT_FALSE(d.Next().ok());
}

TEST(FrameDecoder, RejectsUnknownAndWrongDirectionTypes) {
  for (uint8_t type : {0x00, 0x05, 0x0a, 0x80, 0x8b, 0xff, 0x01}) {
    FrameDecoder d(Direction::kToHost);
    d.Feed(Header(type, 0));
    EXPECT_FALSE(d.Next().ok()) << static_cast<int>(type);
  }
  FrameDecoder g(Direction::kToGuest);
  g.Feed(EncodeFrame(FrameType::kStdout, "x"));
  EXPECT_FALSE(g.Next().ok());
  for (uint8_t type : {0x0b, 0x86, 0x8a}) {
    FrameDecoder d(Direction::kToGuest);
    d.Feed(Header(type, 4) + "\1\0\0\0");
    EXPECT_FALSE(d.Next().ok()) << static_cast<int>(type);
  }
}

TEST(FrameDecoder, ExecFramesCarryTheirSessionAndRoundTrip) {
  std::string stream = EncodeExecStarted(7, 42) +
                       EncodeExecFrame(FrameType::kExecStdout, 7, "hi\n") +
                       EncodeExecFrame(FrameType::kExecStderr, 9, "") +
                       EncodeExecExit(7, {.code = 3}) +
                       EncodeExecExit(9, {.signaled = true, .code = 9});
  FrameDecoder d(Direction::kToHost);
  d.Feed(stream);
  std::vector<Frame> frames;
  while (true) {
    auto next = d.Next();
    ASSERT_TRUE(next.ok()) << next.status().message();
    if (!*next) break;
    frames.push_back(std::move(**next));
  }
  ASSERT_EQ(frames.size(), 5u);
  for (const auto& f : frames) EXPECT_TRUE(IsExecFrame(f.type));
  EXPECT_EQ(SessionOf(frames[0]), 7u);
  EXPECT_EQ(*DecodeExecStarted(frames[0]), 42u);
  EXPECT_EQ(ExecData(frames[1]), "hi\n");
  EXPECT_EQ(SessionOf(frames[2]), 9u);
  EXPECT_EQ(ExecData(frames[2]), "");
  EXPECT_EQ(DecodeExecExit(frames[3])->code, 3);
  EXPECT_TRUE(DecodeExecExit(frames[4])->signaled);
  // The host renumbers a client's frames into its own session ids.
  std::string moved = WithSession(frames[1], 12);
  FrameDecoder m(Direction::kToHost);
  m.Feed(moved);
  auto again = m.Next();
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ(SessionOf(**again), 12u);
  EXPECT_EQ(ExecData(**again), "hi\n");

  FrameDecoder g(Direction::kToGuest);
  g.Feed(EncodeExecFrame(FrameType::kExecStart, 1, R"({"args":["echo","hi"]})") +
         EncodeExecSignal(1, 15) + EncodeExecResize(1, 24, 80) +
         EncodeExecFrame(FrameType::kExecStdinClose, 1));
  auto start = g.Next();
  ASSERT_TRUE(start.ok() && start->has_value());
  auto spec = ExecSpecFromJson(ExecData(**start));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->args, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(spec->cwd, "/");
  EXPECT_EQ(*DecodeExecSignal(**g.Next()), 15u);
  auto size = DecodeExecResize(**g.Next());
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->first, 24);
  EXPECT_EQ(size->second, 80);
  EXPECT_EQ((*g.Next())->type, FrameType::kExecStdinClose);
}

TEST(FrameDecoder, RejectsExecFramesWithoutASessionOrOfTheWrongSize) {
  // Variable-length exec frames still need the 4-byte session id.
  for (uint32_t length : {0u, 3u}) {
    FrameDecoder d(Direction::kToHost);
    d.Feed(Header(0x87, length) + std::string(length, '\0'));
    EXPECT_FALSE(d.Next().ok()) << length;
  }
  FrameDecoder g(Direction::kToGuest);
  g.Feed(Header(0x06, 2) + "{}");
  EXPECT_FALSE(g.Next().ok());
  // Fixed-size ones have exactly their size.
  FrameDecoder e(Direction::kToHost);
  e.Feed(Header(0x89, 8) + std::string(8, '\0'));
  EXPECT_FALSE(e.Next().ok());
  FrameDecoder s(Direction::kToGuest);
  s.Feed(Header(0x09, 4) + std::string(4, '\0'));
  EXPECT_FALSE(s.Next().ok());
  // A session's values are range-checked like the main process's.
  EXPECT_FALSE(DecodeExecSignal(Frame{FrameType::kExecSignal, EncodeExecSignal(1, 0).substr(8)}).ok());
  EXPECT_FALSE(DecodeExecSignal(Frame{FrameType::kExecSignal, EncodeExecSignal(1, 99).substr(8)}).ok());
  EXPECT_FALSE(DecodeExecExit(Frame{FrameType::kExecExit, EncodeExecExit(1, {.code = 300}).substr(8)}).ok());
  EXPECT_FALSE(DecodeExecExit(Frame{FrameType::kExecExit, std::string("\1\0\0\0\3\0\0\0\0\0\0\0", 12)}).ok());
  // A decoder for one type refuses another's frame.
  EXPECT_FALSE(DecodeExecExit(Frame{FrameType::kExit, EncodeExit({}).substr(8)}).ok());
  EXPECT_EQ(SessionOf(Frame{FrameType::kExecStdout, "ab"}), 0u);
  EXPECT_EQ(ExecData(Frame{FrameType::kExecStdout, "ab"}), "");
}

TEST(Decode, ReadyCarriesTheProtocolVersionAndVersionOneStillDecodes) {
  auto v2 = DecodeReady(Frame{FrameType::kReady, EncodeReady({1, 2}).substr(8)});
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, kProtocolVersion);
  auto v1 = DecodeReady(Frame{FrameType::kReady, EncodeReady({1, 2}).substr(8, 16)});
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->version, 1u);
  EXPECT_FALSE(DecodeReady(Frame{FrameType::kReady, EncodeReady({1, 2, 1}).substr(8)}).ok());
  FrameDecoder d(Direction::kToHost);
  d.Feed(Header(0x81, 20) + std::string(20, '\0'));
  EXPECT_FALSE(d.Next().ok());
}

TEST(Spec, ExecSpecRoundTripsAndRejectsMalformedRequests) {
  ExecSpec spec{{"sh", "-c", "exit 3"}, {"A=b"}, "/tmp", "nobody", true, true};
  auto back = ExecSpecFromJson(ExecSpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->args, spec.args);
  EXPECT_EQ(back->env, spec.env);
  EXPECT_EQ(back->cwd, "/tmp");
  EXPECT_EQ(back->user, "nobody");
  EXPECT_TRUE(back->tty);
  EXPECT_TRUE(back->stdin_open);
  for (const char* bad : {"", "[]", R"({"args":[]})", R"({"args":[""]})", R"({"args":"sh"})",
                          R"({"args":["sh"],"cwd":"rel"})", R"({"args":["sh"],"extra":1})",
                          R"({"args":["sh"],"tty":"yes"})"})
    EXPECT_FALSE(ExecSpecFromJson(bad).ok()) << bad;
}

TEST(FrameDecoder, RejectsNonzeroReservedBytesAndWrongFixedSizes) {
  FrameDecoder a(Direction::kToHost);
  a.Feed(Header(0x82, 0, 1));
  EXPECT_FALSE(a.Next().ok());
  FrameDecoder b(Direction::kToHost);
  b.Feed(Header(0x84, 7) + std::string(7, '\0'));
  EXPECT_FALSE(b.Next().ok());
  FrameDecoder c(Direction::kToGuest);
  c.Feed(Header(0x02, 1) + "x");
  EXPECT_FALSE(c.Next().ok());
  FrameDecoder ack(Direction::kToGuest);
  ack.Feed(EncodeFrame(FrameType::kExitAck) + Header(0x05, 1) + "x");
  auto first = ack.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->type, FrameType::kExitAck);
  EXPECT_FALSE(ack.Next().ok());
}

TEST(FrameDecoder, WaitsForIncompleteFrames) {
  FrameDecoder d(Direction::kToGuest);
  std::string frame = EncodeFrame(FrameType::kStdin, "hello");
  d.Feed(frame.substr(0, 10));
  auto next = d.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  d.Feed(frame.substr(10));
  next = d.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->payload, "hello");
}

TEST(Decode, RejectsOutOfRangeValues) {
  Frame bad_exit{FrameType::kExit, std::string("\x02\0\0\0\0\0\0\0", 8)};
  EXPECT_FALSE(DecodeExit(bad_exit).ok());
  EXPECT_FALSE(DecodeExit(Frame{FrameType::kExit, EncodeExit({.code = 256}).substr(8)}).ok());
  EXPECT_FALSE(
      DecodeExit(Frame{FrameType::kExit, EncodeExit({.signaled = true, .code = 0}).substr(8)}).ok());
  EXPECT_FALSE(DecodeSignal(Frame{FrameType::kSignal, EncodeSignal(0).substr(8)}).ok());
  EXPECT_FALSE(DecodeSignal(Frame{FrameType::kSignal, EncodeSignal(65).substr(8)}).ok());
  auto sig = DecodeSignal(Frame{FrameType::kSignal, EncodeSignal(15).substr(8)});
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, 15u);
  auto ready = DecodeReady(Frame{FrameType::kReady, EncodeReady({123, 456}).substr(8)});
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->init_start_ns, 123u);
  EXPECT_EQ(ready->exec_ns, 456u);
}

TEST(Spec, RoundTripsAndRejectsMalformedFiles) {
  GuestSpec spec;
  spec.args = {"/bin/sh", "-c", "echo hi"};
  spec.env = {"A=b"};
  spec.cwd = "/tmp";
  spec.user = "1000:1000";
  spec.rlimits = {{"nofile", 1024, 2048}};
  spec.network = NetworkConfig{"eth0", "10.0.2.15/24", "10.0.2.2", {"10.0.2.3"}};
  auto back = SpecFromJson(SpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->args, spec.args);
  EXPECT_EQ(back->cwd, "/tmp");
  EXPECT_EQ(back->rlimits[0].hard, 2048u);
  EXPECT_EQ(back->network->gateway, "10.0.2.2");
  EXPECT_FALSE(SpecFromJson("[]").ok());
  EXPECT_FALSE(SpecFromJson("{\"args\": []}").ok());
  EXPECT_FALSE(SpecFromJson("{\"args\": [\"x\"], \"cwd\": \"rel\"}").ok());
  EXPECT_FALSE(SpecFromJson("{\"args\": [\"x\"], \"bogus\": 1}").ok());
  EXPECT_FALSE(SpecFromJson("{\"args\": [\"x\"], \"channel\": \"carrier-pigeon\"}").ok());
  EXPECT_FALSE(SpecFromJson("{\"args\": [1]}").ok());
  EXPECT_FALSE(SpecFromJson("not json").ok());
}

TEST(Spec, VolumesRoundTripAndBadOnesAreRefused) {
  GuestSpec spec;
  spec.args = {"true"};
  spec.volumes = {{"9p", "hullvol0", "/data", true}, {"blk", "hullvol1", "/srv/db", false}};
  auto back = SpecFromJson(SpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->volumes.size(), 2u);
  EXPECT_EQ(back->volumes[0].type, "9p");
  EXPECT_EQ(back->volumes[0].source, "hullvol0");
  EXPECT_TRUE(back->volumes[0].read_only);
  EXPECT_EQ(back->volumes[1].target, "/srv/db");
  auto with = [](const std::string& volume) {
    return SpecFromJson("{\"args\": [\"x\"], \"volumes\": [" + volume + "]}");
  };
  EXPECT_TRUE(with(R"({"type":"blk","source":"hullvol0","target":"/d"})").ok());
  EXPECT_FALSE(with(R"({"type":"nfs","source":"hullvol0","target":"/d"})").ok());
  EXPECT_FALSE(with(R"({"type":"9p","source":"a,trans=fd","target":"/d"})").ok());
  EXPECT_FALSE(with(R"({"type":"9p","source":"hullvol0","target":"d"})").ok());
  EXPECT_FALSE(with(R"({"type":"9p","source":"hullvol0","target":"/"})").ok());
  EXPECT_FALSE(with(R"({"type":"9p","source":"","target":"/d"})").ok());
}

}  // namespace
}  // namespace hull::guest
