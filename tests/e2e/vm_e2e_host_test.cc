// `hull run` (runtime vm) and the host around it: the user's terminal with -t (raw mode,
// window size and its changes), a killed hull (its VMM dies with it, its directory is
// swept at the next start), the guest's network on a tap in a namespace of the test's own
// (address, route, resolv.conf, hosts, a real TCP exchange and a ping), and volumes (an
// ext4 image file on both backends, a directory by virtio-9p on qemu).
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "rootfs-builder/builtin_image.h"
#include "runtime/vm/guest_artifacts.h"
#include "runtime/vm/vm_runner.h"
#include "tests/e2e/netns_tap.h"
#include "tests/e2e/vm_e2e_fixture.h"
#include "tests/e2e/vm_e2e_support.h"
#include "tests/support/process.h"

namespace hull::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ReadOrEmpty(const std::string& path) {
  auto text = base::ReadFileToString(path);
  return text.ok() ? *text : "";
}

bool Canonical(int fd) {
  termios t{};
  tcgetattr(fd, &t);
  return (t.c_lflag & ICANON) && (t.c_lflag & ECHO);
}

// `hull run` on a pseudo-terminal of the test's: its session's controlling terminal, as a
// shell would give it, so that a window size change sends it SIGWINCH.
class PtyRun {
 public:
  explicit PtyRun(const std::vector<std::string>& argv) {
    int m, s;
    winsize ws{};
    ws.ws_row = 30;
    ws.ws_col = 100;
    if (openpty(&m, &s, nullptr, nullptr, &ws) != 0) return;
    master_.reset(m);
    slave_.reset(s);
    pid_ = fork();
    if (pid_ == 0) {
      setsid();
      ioctl(s, TIOCSCTTY, 0);
      dup2(s, 0);
      dup2(s, 1);
      dup2(s, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~PtyRun() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int master() const { return master_.get(); }
  int slave() const { return slave_.get(); }
  const std::string& out() const { return out_; }

  bool WaitFor(const std::string& text, double timeout_s) {
    auto end = Clock::now() + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
    while (out_.find(text) == std::string::npos) {
      if (Clock::now() >= end) return false;
      pollfd p{master_.get(), POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = read(master_.get(), buf, sizeof(buf));
      if (n <= 0) return false;
      out_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  int Wait(double timeout_s) {
    auto end = Clock::now() + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (Clock::now() >= end) kill(pid_, SIGKILL);
      WaitFor("\x01never", 0.05);  // keep draining the terminal
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  base::UniqueFd master_, slave_;
  pid_t pid_ = -1;
  std::string out_;
};

TEST_P(VmE2e, TtyIsRawWhileAttachedAndFollowsTheWindowSize) {
  PtyRun run(Argv({"-i", "-t"}, {"sh", "-c", "stty size; read line; echo \"got $line\"; stty size"}));
  ASSERT_GE(run.master(), 0);
  ASSERT_TRUE(run.WaitFor("30 100", kTimeout)) << run.out();
  EXPECT_FALSE(Canonical(run.slave())) << "the terminal is not in raw mode while attached";
  winsize ws{};
  ws.ws_row = 40;
  ws.ws_col = 120;
  ASSERT_EQ(ioctl(run.master(), TIOCSWINSZ, &ws), 0);  // SIGWINCH to hull
  // The resize and the line travel the same channel, in this order.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(write(run.master(), "hello\r", 6), 6);
  EXPECT_TRUE(run.WaitFor("40 120", 60)) << run.out();
  EXPECT_EQ(run.Wait(60), 0) << run.out();
  EXPECT_NE(run.out().find("got hello"), std::string::npos) << run.out();
  EXPECT_TRUE(Canonical(run.slave())) << "the terminal was not restored";
}

TEST_P(VmE2e, AKilledRunsVmmDiesAndItsDirectoryIsSweptAtTheNextStart) {
  std::string tmp = SharedStore().root + "/tmp";
  LiveProcess p(Argv({}, {"sh", "-c", "echo ready; sleep 1000"}));
  // Mid-boot: once the VM's directory exists and the VMM has had a moment.
  auto end = Clock::now() + std::chrono::seconds(60);
  std::string dir;
  while (dir.empty() && Clock::now() < end) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(tmp, ec))
      if (e.path().filename().string().rfind("hull-vm-", 0) == 0) dir = e.path();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(dir.empty()) << "no VM directory appeared; " << p.err();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  p.Signal(SIGKILL);
  p.Wait(10);
  // The VMM follows hull (PR_SET_PDEATHSIG).
  end = Clock::now() + std::chrono::seconds(20);
  while (CountProcessesMatching(tmp + "/hull-vm-") > 0 && Clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(CountProcessesMatching(tmp + "/hull-vm-"), 0) << "the VMM outlived hull";
  EXPECT_TRUE(fs::exists(dir)) << "SIGKILL leaves no chance to clean up; nothing to sweep?";
  // The next run sweeps it (and leaves nothing itself: TearDown).
  auto next = Run({}, {"true"});
  EXPECT_EQ(next.exit_status, 0) << next.err;
  EXPECT_FALSE(fs::exists(dir)) << dir << " was not swept";
}

TEST_P(VmE2e, NetworkHostIsRefusedForAVm) {
  auto r = Run({"--network", "host"}, {"true"});
  EXPECT_EQ(r.exit_status, 125);
  EXPECT_NE(r.err.find("--network host"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--runtime ns"), std::string::npos) << r.err;
}

// RunVm with the test's own stdout file; returns what the container printed.
struct LibraryRun {
  base::Result<runtime::vm::VmOutcome> outcome = base::Status::Error("not run");
  std::string out, err;
};

runtime::vm::VmConfig LibraryConfig(const std::string& vmm, const std::vector<std::string>& args) {
  runtime::vm::VmConfig config;
  config.spec.args = args;
  config.spec.hostname = "vmnet";
  config.image_disk = SharedStore().image_ext4;
  config.shape.memory_mib = 128;
  config.vmm = *runtime::vm::ParseVmmKind(vmm);
  config.work_root = SharedStore().root + "/tmp";
  return config;
}

LibraryRun RunLibrary(runtime::vm::VmConfig config) {
  LibraryRun run;
  std::string dir = SharedStore().root;
  auto out = base::OpenFile(dir + "/lib-stdout", O_RDWR | O_CREAT | O_TRUNC, 0600);
  auto err = base::OpenFile(dir + "/lib-stderr", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (!out.ok() || !err.ok()) return run;
  config.stdout_fd = out->get();
  config.stderr_fd = err->get();
  run.outcome = runtime::vm::RunVm(config);
  run.out = ReadOrEmpty(dir + "/lib-stdout");
  run.err = ReadOrEmpty(dir + "/lib-stderr");
  fs::remove(dir + "/lib-stdout");
  fs::remove(dir + "/lib-stderr");
  return run;
}

TEST_P(VmE2e, GuestNetworkOnATapInTheTestsNamespace) {
  TapSetup setup;
  setup.listen_port = 7777;
  runtime::TapInterface nic;
  nic.tap = setup.tap;
  nic.address = "10.213.0.2/24";
  nic.gateway = setup.host_address;
  nic.dns = {"10.213.0.53"};
  nic.extra_hosts = {"db:10.213.0.9"};
  auto config = LibraryConfig(
      GetParam(), {"sh", "-c",
                   "ip -4 addr show eth0; ip route; cat /etc/resolv.conf /etc/hosts; "
                   "cat /sys/class/net/eth0/address; "
                   "echo ping-from-guest | nc 10.213.0.1 7777; "
                   "ping -c1 -W10 10.213.0.1 >/dev/null && echo ping-ok"});
  config.interface = nic;
  LibraryRun run;
  std::string line, answered;
  auto s = RunInTapNamespace(setup, [&](base::UniqueFd listener) {
    auto answer = std::async(std::launch::async, [&] {
      return AnswerOneLine(listener.get(), "pong-from-host\n", &line, kTimeout * 1000);
    });
    run = RunLibrary(config);
    if (!run.outcome.ok()) shutdown(listener.get(), SHUT_RDWR);
    answered = answer.get();
  });
  if (!s.ok() && s.message().find("/dev/net/tun") != std::string::npos)
    GTEST_SKIP() << "no tap devices here: " << s.message();
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(run.outcome.ok()) << run.outcome.status().message();
  EXPECT_EQ(run.outcome->exit_code, 0) << run.err << run.outcome->error;
  EXPECT_NE(run.out.find("inet 10.213.0.2/24"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("default via 10.213.0.1 dev eth0"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("nameserver 10.213.0.53"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("10.213.0.9\tdb"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("10.213.0.2\tvmnet"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("02:42:0a:d5:00:02"), std::string::npos) << run.out;
  EXPECT_EQ(answered, "");
  EXPECT_EQ(line, "ping-from-guest");
  EXPECT_NE(run.out.find("pong-from-host"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("ping-ok"), std::string::npos) << run.out << run.err;
}

// An ext4 image file with one file in it, made by mkfs.ext4 -d.
std::string MakeExt4Volume(const std::string& dir) {
  fs::create_directories(dir + "/content");
  std::ofstream(dir + "/content/in.txt") << "from the host\n";
  std::string image = dir + "/volume.ext4";
  auto r = testing::RunProcess({"/sbin/mkfs.ext4", "-q", "-F", "-d", dir + "/content", image, "16M"}, 60);
  return r.exit_status == 0 ? image : "";
}

TEST_P(VmE2e, Ext4ImageFileVolumeOnBothBackends) {
  std::string dir = SharedStore().root + "/volume-" + GetParam();
  std::string image = MakeExt4Volume(dir);
  ASSERT_FALSE(image.empty());
  auto config = LibraryConfig(GetParam(), {"sh", "-c",
                                           "cat /data/in.txt; echo from-the-guest > /data/out.txt; "
                                           "touch /ro/x 2>/dev/null || echo ro-refused"});
  config.volumes = {{image, "/data", false}, {image + ".ro", "/ro", true}};
  fs::copy_file(image, image + ".ro");
  auto run = RunLibrary(config);
  ASSERT_TRUE(run.outcome.ok()) << run.outcome.status().message();
  EXPECT_EQ(run.outcome->exit_code, 0) << run.err << run.outcome->error;
  EXPECT_EQ(run.out, "from the host\nro-refused\n") << run.err;
  auto file = testing::RunProcess({"/sbin/debugfs", "-R", "cat /out.txt", image}, 30);
  EXPECT_EQ(file.out, "from-the-guest\n") << file.err;
  fs::remove_all(dir);
}

bool KernelHas9p() {
  auto guest = runtime::vm::FindGuestArtifacts();
  if (!guest.ok()) return false;
  std::string dir = fs::path(guest->vmlinux).parent_path();
  auto config = base::ReadFileToString(dir + "/config");
  return config.ok() && config->find("CONFIG_9P_FS=y") != std::string::npos &&
         config->find("CONFIG_NET_9P_VIRTIO=y") != std::string::npos;
}

TEST_P(VmE2e, DirectoryVolumeIsVirtio9pOnQemuAndRefusedOnHull) {
  std::string dir = SharedStore().root + "/share-" + GetParam();
  fs::create_directories(dir + "/rw");
  fs::create_directories(dir + "/ro");
  std::ofstream(dir + "/rw/in.txt") << "shared\n";
  auto config = LibraryConfig(GetParam(), {"sh", "-c",
                                           "cat /data/in.txt; echo back > /data/out.txt; "
                                           "touch /ro/x 2>/dev/null || echo ro-refused"});
  config.volumes = {{dir + "/rw", "/data", false}, {dir + "/ro", "/ro", true}};
  if (GetParam() == "hull") {
    auto run = RunLibrary(config);
    ASSERT_FALSE(run.outcome.ok());
    EXPECT_NE(run.outcome.status().message().find("no virtio-9p device"), std::string::npos)
        << run.outcome.status().message();
    fs::remove_all(dir);
    return;
  }
  if (!KernelHas9p()) {
    fs::remove_all(dir);
    GTEST_SKIP() << "this guest kernel has no virtio-9p (CONFIG_9P_FS, CONFIG_NET_9P_VIRTIO)";
  }
  auto run = RunLibrary(config);
  ASSERT_TRUE(run.outcome.ok()) << run.outcome.status().message();
  EXPECT_EQ(run.outcome->exit_code, 0) << run.err << run.outcome->error;
  EXPECT_EQ(run.out, "shared\nro-refused\n") << run.err;
  EXPECT_EQ(ReadOrEmpty(dir + "/rw/out.txt"), "back\n");
  EXPECT_FALSE(fs::exists(dir + "/ro/x"));
  fs::remove_all(dir);
}

// Instantiated for both backends in vm_e2e_test.cc.

}  // namespace
}  // namespace hull::e2e
