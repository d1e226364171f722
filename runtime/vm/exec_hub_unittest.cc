// ExecHub as exec clients and a guest see it, without a VM: a fake channel collects the
// frames meant for hull-init, the test plays the guest through FromGuest and the clients
// through real Unix sockets (and RunExecClient).
#include "runtime/vm/exec_hub.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/vm/exec_client.h"

namespace hull::runtime::vm {
namespace {

using guest::FrameType;

class ExecHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-exec-hub-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto hub = ExecHub::Listen(dir_ + "/exec.sock");
    ASSERT_TRUE(hub.ok()) << hub.status().message();
    hub_ = std::move(*hub);
    hub_->Attach({[this](const std::string& f) { to_guest_ += f; }, [] { return size_t{0}; }});
  }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A client of the hub's socket; `connected` says whether connect(2) succeeded.
  base::UniqueFd TryConnect(bool* connected) {
    base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = dir_ + "/exec.sock";
    memcpy(addr.sun_path, path.c_str(), path.size());
    *connected = connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    return fd;
  }
  base::UniqueFd Connect() {
    bool connected = false;
    base::UniqueFd fd = TryConnect(&connected);
    EXPECT_TRUE(connected);
    return fd;
  }
  // Lets the hub take what is waiting (accepts, client frames).
  void Pump() {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(hub_->Process().ok());
      usleep(2000);
    }
  }
  std::vector<guest::Frame> GuestGot() {
    guest::FrameDecoder d(guest::Direction::kToGuest);
    d.Feed(to_guest_);
    to_guest_.clear();
    std::vector<guest::Frame> out;
    while (true) {
      auto f = d.Next();
      EXPECT_TRUE(f.ok());
      if (!f.ok() || !*f) return out;
      out.push_back(std::move(**f));
    }
  }
  // Everything the client has been sent until the hub closed it (or 2 s).
  std::vector<guest::Frame> ClientGot(int fd) {
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    guest::FrameDecoder d(guest::Direction::kToHost);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) d.Feed(std::string_view(buf, static_cast<size_t>(n)));
    std::vector<guest::Frame> out;
    while (true) {
      auto f = d.Next();
      EXPECT_TRUE(f.ok());
      if (!f.ok() || !*f) return out;
      out.push_back(std::move(**f));
    }
  }
  void Send(int fd, const std::string& frame) {
    ASSERT_EQ(write(fd, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  }

  std::string dir_;
  std::unique_ptr<ExecHub> hub_;
  std::string to_guest_;
};

TEST_F(ExecHubTest, HoldsSessionsUntilReadyAndRenumbersBothWays) {
  base::UniqueFd a = Connect(), b = Connect();
  Send(a.get(), guest::EncodeExecFrame(FrameType::kExecStart, 0, R"({"args":["true"]})"));
  Send(b.get(), guest::EncodeExecFrame(FrameType::kExecStart, 0, R"({"args":["cat"]})") +
                    guest::EncodeExecFrame(FrameType::kExecStdin, 0, "in"));
  Pump();
  EXPECT_TRUE(to_guest_.empty()) << "nothing goes to the guest before READY";
  hub_->GuestReady(guest::kProtocolVersion);
  auto got = GuestGot();
  ASSERT_EQ(got.size(), 3u);
  uint32_t sa = 0, sb = 0;
  for (const auto& f : got) {
    if (f.type == FrameType::kExecStart && guest::ExecData(f).find("true") != std::string::npos) sa = guest::SessionOf(f);
    if (f.type == FrameType::kExecStart && guest::ExecData(f).find("cat") != std::string::npos) sb = guest::SessionOf(f);
  }
  ASSERT_NE(sa, 0u);
  ASSERT_NE(sb, 0u);
  EXPECT_NE(sa, sb);
  EXPECT_EQ(got[2].type, FrameType::kExecStdin);
  EXPECT_EQ(guest::SessionOf(got[2]), sb);

  ASSERT_TRUE(hub_->FromGuest(guest::Frame{FrameType::kExecStarted, guest::EncodeExecStarted(sa, 7).substr(8)}).ok());
  ASSERT_TRUE(hub_->FromGuest(guest::Frame{FrameType::kExecStdout,
                                           guest::EncodeExecFrame(FrameType::kExecStdout, sa, "out").substr(8)}).ok());
  // A session nobody knows is dropped; a malformed report is the guest's error.
  EXPECT_TRUE(hub_->FromGuest(guest::Frame{FrameType::kExecStdout,
                                           guest::EncodeExecFrame(FrameType::kExecStdout, 999, "x").substr(8)}).ok());
  EXPECT_FALSE(hub_->FromGuest(guest::Frame{FrameType::kExecExit, std::string(12, '\x7f')}).ok());
  ASSERT_TRUE(hub_->FromGuest(guest::Frame{FrameType::kExecExit, guest::EncodeExecExit(sa, {.code = 3}).substr(8)}).ok());
  auto to_a = ClientGot(a.get());
  ASSERT_EQ(to_a.size(), 3u);
  EXPECT_EQ(to_a[0].type, FrameType::kExecStarted);
  EXPECT_EQ(guest::SessionOf(to_a[0]), 0u);
  EXPECT_EQ(guest::ExecData(to_a[1]), "out");
  EXPECT_EQ(guest::DecodeExecExit(to_a[2])->code, 3);

  // The VM ends under b: it hears its process was killed.
  hub_->VmEnded();
  auto to_b = ClientGot(b.get());
  ASSERT_EQ(to_b.size(), 1u);
  auto killed = guest::DecodeExecExit(to_b[0]);
  ASSERT_TRUE(killed.ok());
  EXPECT_TRUE(killed->signaled);
  EXPECT_EQ(killed->code, SIGKILL);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/exec.sock"));
}

TEST_F(ExecHubTest, AMisbehavingClientIsEndedNotTheVm) {
  hub_->GuestReady(guest::kProtocolVersion);
  for (const std::string& bad : {guest::EncodeFrame(FrameType::kStdin, "main's stdin"),
                                 guest::EncodeExecFrame(FrameType::kExecStdin, 0, "before start"),
                                 std::string("\x06\x01\0\0\0\0\0\0", 8),
                                 guest::EncodeExecFrame(FrameType::kExecStart, 0, "{}") +
                                     guest::EncodeExecFrame(FrameType::kExecStart, 0, "{}")}) {
    base::UniqueFd c = Connect();
    Send(c.get(), bad);
    Pump();
    auto got = ClientGot(c.get());
    ASSERT_GE(got.size(), 2u);
    EXPECT_EQ(got[got.size() - 2].type, FrameType::kExecError);
    auto exit = guest::DecodeExecExit(got.back());
    ASSERT_TRUE(exit.ok());
    EXPECT_EQ(exit->code, 125);
  }
  // After the main process exited, no new session starts.
  to_guest_.clear();
  hub_->MainExited();
  bool connected = true;
  base::UniqueFd late = TryConnect(&connected);
  EXPECT_FALSE(connected);
}

TEST_F(ExecHubTest, RunExecClientRelaysStdinAndReturnsTheExitCode) {
  hub_->GuestReady(guest::kProtocolVersion);
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(write(in[1], "abc", 3), 3);
  close(in[1]);
  base::Result<int> result = 0;
  std::string error;
  std::thread client([&] {
    ExecClientIo io;
    io.in = in[0];
    io.out = out[1];
    io.err = out[1];
    result = RunExecClient(dir_ + "/exec.sock", {.args = {"cat"}, .stdin_open = true}, io);
  });
  // Play the guest: wait for the start and the stdin, answer with output and an exit.
  std::string stdin_seen;
  uint32_t session = 0;
  bool closed = false;
  for (int i = 0; i < 1000 && !closed; ++i) {
    ASSERT_TRUE(hub_->Process().ok());
    for (const auto& f : GuestGot()) {
      if (f.type == FrameType::kExecStart) {
        session = guest::SessionOf(f);
        ASSERT_TRUE(hub_->FromGuest(guest::Frame{FrameType::kExecStarted, guest::EncodeExecStarted(session, 5).substr(8)}).ok());
      }
      if (f.type == FrameType::kExecStdin) stdin_seen += guest::ExecData(f);
      if (f.type == FrameType::kExecStdinClose) closed = true;
    }
    usleep(2000);
  }
  ASSERT_TRUE(closed);
  EXPECT_EQ(stdin_seen, "abc");
  ASSERT_TRUE(hub_->FromGuest(guest::Frame{FrameType::kExecStdout,
                                           guest::EncodeExecFrame(FrameType::kExecStdout, session, "abc").substr(8)}).ok());
  ASSERT_TRUE(hub_->FromGuest(guest::Frame{FrameType::kExecExit,
                                           guest::EncodeExecExit(session, {.signaled = true, .code = 15}).substr(8)}).ok());
  client.join();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, 128 + 15);
  close(out[1]);
  char buf[16] = {};
  EXPECT_EQ(read(out[0], buf, sizeof(buf)), 3);
  EXPECT_STREQ(buf, "abc");
  close(in[0]);
  close(out[0]);
}

TEST(ExecClient, NoVmListeningIsAnError) {
  auto r = RunExecClient("/nonexistent/exec.sock", {.args = {"true"}}, ExecClientIo{});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace hull::runtime::vm
