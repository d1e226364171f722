// A compromised guest against hull-vmm (issue 8, item 5): the test guest's `hostile` mode
// (tests/guests/hostile.c) throws wild MMIO and port I/O and malformed virtqueues at
// high rate at every virtio device (blk, rng, vsock), then reports it is alive and
// halts. The VMM must still be running afterwards, every one of its threads that runs
// guest-facing code still under seccomp, the devices must have answered with errors a
// driver sees (DEVICE_NEEDS_RESET, or a used buffer for a request it refused) and
// virtio-rng must still serve a normal request; SIGTERM then ends it as usual (143).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "devices/block/test_files.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"

namespace hull::testing {
namespace {

using devices::block::testing::PatternBytes;
using devices::block::testing::TempDir;
using devices::block::testing::WriteFile;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// hull-vmm ARGS in the background, stdout and stderr into files; killed if still running
// when the test ends.
class BackgroundVmm {
 public:
  BackgroundVmm(std::vector<std::string> args, const std::string& out, const std::string& err) {
    args.insert(args.begin(), VmmPath());
    pid_ = fork();
    if (pid_ == 0) {
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~BackgroundVmm() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  bool Running() {
    int status;
    return waitpid(pid_, &status, WNOHANG) == 0;
  }
  int Stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  }

 private:
  pid_t pid_ = -1;
  bool waited_ = false;
};

TEST(HostileGuest, LeavesTheVmmRunningConfinedAndAnsweringWithErrors) {
  SKIP_WITHOUT_KVM();
  TempDir dir;
  WriteFile(dir.Path("disk.img"), PatternBytes(1 << 20, 5));
  std::string console = dir.Path("console.txt"), err = dir.Path("stderr.txt");
  BackgroundVmm vmm({"--kernel", GuestElf(), "--memory", "32", "--entropy",
                     "--drive", "id=data,path=" + dir.Path("disk.img"),
                     "--vsock", "cid=3,uds=" + dir.Path("v.sock"),
                     "--cmdline", "hulltest.mode=hostile hulltest.hostile.spin=1"},
                    console, err);
  std::map<std::string, std::string> report;
  for (int i = 0; i < 2400 && report["hostile.alive"] != "1" && vmm.Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    report = ParseReport(ReadText(console));
  }
  ASSERT_EQ(report["hostile.alive"], "1") << ReadText(console) << ReadText(err).substr(0, 4000);
  // The guest now halts; the VMM must still be there, and still confined.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(vmm.Running()) << ReadText(err).substr(0, 4000);
  std::string proc = "/proc/" + std::to_string(vmm.pid());
  int threads = 0, filtered = 0;
  for (const auto& task : std::filesystem::directory_iterator(proc + "/task")) {
    std::string status = ReadText(task.path().string() + "/status");
    ++threads;
    if (status.find("\nSeccomp:\t2\n") != std::string::npos) ++filtered;
  }
  // Every thread but main (which only waits for the end) has its filter: the vCPU and
  // the device loop at least (the blk worker ended with the guest's last device reset).
  EXPECT_GE(filtered, 2);
  EXPECT_EQ(filtered, threads - 1);

  EXPECT_GE(std::stoul(report["hostile.mmio"]), 1000u);
  EXPECT_GE(std::stoul(report["hostile.pio"]), 1000u);
  int devices = 0;
  for (const auto& [key, value] : report) {
    if (key.rfind("hostile.dev.", 0) != 0) continue;
    ++devices;
    // "0xADDR,TYPE,needs_reset=A,used=B,silent=C": the device said no, one way or another.
    size_t nr = value.find("needs_reset=");
    ASSERT_NE(nr, std::string::npos) << value;
    EXPECT_GT(std::stoul(value.substr(nr + 12)), 0u) << key << "=" << value;
  }
  EXPECT_EQ(devices, 3) << ReadText(console);
  EXPECT_EQ(report["hostile.rng_after"], "ok");
  EXPECT_NE(ReadText(err).find("device needs reset"), std::string::npos);

  EXPECT_EQ(vmm.Stop(SIGTERM), 128 + SIGTERM) << ReadText(err).substr(0, 4000);
}

}  // namespace
}  // namespace hull::testing
