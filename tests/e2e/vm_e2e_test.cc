// `hull run` (runtime vm) end to end: the real guest kernel, hull-init and the built-in
// busybox image, under qemu (TCG on hosts without hardware virtualization) and under
// hull-vmm where hardware virtualization is usable (measured by runtime/vm's probe;
// skipped with its reason elsewhere). Every test checks that nothing is left behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "rootfs-builder/builtin_image.h"
#include "rootfs-builder/content_store.h"
#include "rootfs-builder/digest.h"
#include "rootfs-builder/image_builder.h"
#include "runtime/vm/backend.h"
#include "runtime/vm/guest_artifacts.h"
#include "runtime/vm/vm_runner.h"
#include "tests/e2e/vm_e2e_fixture.h"
#include "tests/e2e/vm_e2e_support.h"
#include "tests/support/process.h"

namespace hull::e2e {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::RunProcess;

TEST_P(VmE2e, StdoutAndStderrAreSeparateAndByteExact) {
  auto r = Run({}, {"sh", "-c", "printf 'out\\000\\001\\377\\r\\n'; printf 'err\\n' >&2; printf more"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, std::string("out\0\1\377\r\nmore", 12));
  EXPECT_EQ(r.err, "err\n");
}

TEST_P(VmE2e, MultiMegabyteBinaryOutputArrivesIntact) {
  auto r = Run({}, {"sh", "-c",
                    "head -c 3000000 /dev/urandom > /tmp/d && sha256sum /tmp/d >&2 && cat /tmp/d"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.size(), 3000000u);
  EXPECT_EQ(r.err.substr(0, 64), std::string(rootfs::Sha256Of(r.out).hex()));
}

TEST_P(VmE2e, StdinIsRelayedByteExact) {
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) ^ (i >> 9));
  auto r = Run({"-i"}, {"cat"}, data);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(r.out == data) << "stdin came back with " << r.out.size() << " bytes";
}

TEST_P(VmE2e, ExitCodesAndDeathBySignal) {
  EXPECT_EQ(Run({}, {"sh", "-c", "exit 42"}).exit_status, 42);
  auto killed = Run({}, {"sh", "-c", "kill -9 $$"});
  EXPECT_EQ(killed.exit_status, 137) << killed.err;
}

TEST_P(VmE2e, EnvWorkdirUserAndHostname) {
  auto r = Run({"-e", "FOO=bar baz", "-w", "/tmp/work", "-u", "nobody", "--hostname", "box"},
               {"sh", "-c", "echo \"$FOO\"; pwd; id -u; id -g; hostname; echo $HOME"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "bar baz\n/tmp/work\n65534\n65534\nbox\n/nonexistent\n");
  auto numeric = Run({"-u", "1234:5"}, {"sh", "-c", "id -u; id -g"});
  EXPECT_EQ(numeric.out, "1234\n5\n") << numeric.err;
}

TEST_P(VmE2e, MissingEntrypointIsReportedClearly) {
  auto r = Run({}, {"/no/such/program"});
  EXPECT_EQ(r.exit_status, 127);
  EXPECT_NE(r.err.find("/no/such/program"), std::string::npos) << r.err;
  auto path = Run({}, {"no-such-command"});
  EXPECT_EQ(path.exit_status, 127);
  EXPECT_NE(path.err.find("executable file not found in $PATH"), std::string::npos) << path.err;
  auto user = Run({"-u", "nosuchuser"}, {"true"});
  EXPECT_EQ(user.exit_status, 125);
  EXPECT_NE(user.err.find("unable to find user nosuchuser"), std::string::npos) << user.err;
}

TEST_P(VmE2e, ZombiesAreReaped) {
  auto r = Run({}, {"sh", "-c",
                    "for i in 1 2 3 4 5; do sh -c 'sleep 0.2 & exit 0'; done; sleep 1; "
                    "cat /proc/[0-9]*/stat | awk '$3 == \"Z\"' | wc -l"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
}

TEST_P(VmE2e, OutOfMemoryInsideTheGuest) {
  // dd's 110 MiB buffer passes the overcommit check of a 128 MiB guest, and one read
  // from /dev/zero touches all of it: the OOM killer acts within a second. (A slowly
  // growing process makes the guest thrash its page cache for minutes under TCG.)
  auto r = Run({}, {"dd", "if=/dev/zero", "of=/dev/null", "bs=110M", "count=1"});
  EXPECT_EQ(r.exit_status, 137) << r.err;
  EXPECT_NE(r.err.find("OOM killer"), std::string::npos) << r.err;
}

TEST_P(VmE2e, SignalIsForwardedToTheContainer) {
  LiveProcess p(Argv({}, {"sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo ready; "
                                      "while true; do sleep 1; done"}));
  ASSERT_TRUE(p.WaitForStdout("ready", kTimeout)) << p.err();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(60), 3) << p.err();
  EXPECT_NE(p.out().find("got TERM"), std::string::npos);
}

TEST_P(VmE2e, StopKillsTheVmAfterTheGracePeriod) {
  LiveProcess p(Argv({"--stop-timeout", "1"}, {"sh", "-c", "trap '' TERM; echo ready; sleep 1000"}));
  ASSERT_TRUE(p.WaitForStdout("ready", kTimeout)) << p.err();
  auto start = std::chrono::steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(60), 137) << p.err();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_NE(p.err().find("did not stop within 1 s"), std::string::npos) << p.err();
}

TEST_P(VmE2e, TwoVmsOfTheSameImageAtOnce) {
  auto a = std::async(std::launch::async, [&] { return Run({}, {"sh", "-c", "sleep 1; echo a"}); });
  auto b = std::async(std::launch::async, [&] { return Run({}, {"sh", "-c", "sleep 1; echo b"}); });
  auto ra = a.get(), rb = b.get();
  EXPECT_EQ(ra.exit_status, 0) << ra.err;
  EXPECT_EQ(rb.exit_status, 0) << rb.err;
  EXPECT_EQ(ra.out, "a\n");
  EXPECT_EQ(rb.out, "b\n");
}

TEST_P(VmE2e, GuestKernelPanicIsReportedWithTheConsole) {
  // No init in the initramfs: the kernel tries a root device, finds none and panics.
  setenv("HULL_VM_KERNEL_ARGS", "rdinit=/no-init", 1);
  auto r = Run({}, {"true"});
  unsetenv("HULL_VM_KERNEL_ARGS");
  EXPECT_EQ(r.exit_status, 125);
  EXPECT_NE(r.err.find("guest kernel panicked"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Kernel panic"), std::string::npos) << r.err;
}

TEST_P(VmE2e, GuestThatNeverReportsTimesOutWithTheConsoleTail) {
  // A panic that hangs (panic=0) instead of resetting: hull-init never reports.
  setenv("HULL_VM_KERNEL_ARGS", "rdinit=/no-init panic=0", 1);
  setenv("HULL_VM_BOOT_TIMEOUT", "20", 1);
  auto r = Run({}, {"true"});
  unsetenv("HULL_VM_KERNEL_ARGS");
  unsetenv("HULL_VM_BOOT_TIMEOUT");
  EXPECT_EQ(r.exit_status, 125);
  EXPECT_NE(r.err.find("did not report within 20 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Kernel panic"), std::string::npos) << r.err;
}

TEST_P(VmE2e, BadInputIsRefusedClearly) {
  auto memory = RunProcess(Argv({"--memory", "32m"}, {"true"}), kTimeout);
  EXPECT_EQ(memory.exit_status, 125);
  EXPECT_NE(memory.err.find("at least 64 MiB"), std::string::npos) << memory.err;
  // The suite may run with HULL_GUEST_KERNEL_DIR set (nested): put it back afterwards.
  std::string kernel_dir = testing::EnvOr("HULL_GUEST_KERNEL_DIR", "");
  setenv("HULL_GUEST_KERNEL_DIR", "/nonexistent", 1);
  auto kernel = RunProcess(Argv({}, {"true"}), kTimeout);
  if (kernel_dir.empty()) {
    unsetenv("HULL_GUEST_KERNEL_DIR");
  } else {
    setenv("HULL_GUEST_KERNEL_DIR", kernel_dir.c_str(), 1);
  }
  EXPECT_EQ(kernel.exit_status, 125);
  EXPECT_NE(kernel.err.find("guest-kernel-config/build.sh"), std::string::npos) << kernel.err;
  if (GetParam() == "qemu") {
    setenv("HULL_QEMU", "/nonexistent/qemu-system-x86_64", 1);
    auto qemu = RunProcess(Argv({}, {"true"}), kTimeout);
    unsetenv("HULL_QEMU");
    EXPECT_EQ(qemu.exit_status, 125);
    EXPECT_NE(qemu.err.find("not installed"), std::string::npos) << qemu.err;
  }
}

// Through the library, with a writable layer the test keeps: the writes are in its
// upper directory, and the image disk is byte-identical afterwards.
TEST_P(VmE2e, WritesLandInTheWritableLayerAndTheImageIsUnchanged) {
  const Store& store = SharedStore();
  auto before = rootfs::Sha256OfFile(store.image_ext4);
  ASSERT_TRUE(before.ok());
  std::string dir = store.root + "/layer-test-" + GetParam();
  fs::create_directories(dir);
  runtime::vm::VmConfig config;
  config.spec.args = {"sh", "-c", "echo written > /etc/new-file && rm /bin/ls && echo done"};
  config.image_disk = store.image_ext4;
  config.writable_disk = dir + "/rw.ext4";
  config.writable_size_mib = 64;
  config.shape.memory_mib = 128;
  config.vmm = *runtime::vm::ParseVmmKind(GetParam());
  config.work_root = store.root + "/tmp";
  auto out = base::OpenFile(dir + "/stdout", O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_TRUE(out.ok());
  config.stdout_fd = out->get();
  auto outcome = runtime::vm::RunVm(config);
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(*base::ReadFileToString(dir + "/stdout"), "done\n");
  auto after = rootfs::Sha256OfFile(store.image_ext4);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before->str(), after->str()) << "the image disk changed";
  auto file = RunProcess({"/sbin/debugfs", "-R", "cat /upper/etc/new-file", config.writable_disk}, 30);
  EXPECT_EQ(file.out, "written\n") << file.err;
  auto whiteout = RunProcess({"/sbin/debugfs", "-R", "stat /upper/bin/ls", config.writable_disk}, 30);
  EXPECT_NE(whiteout.out.find("Type: character special"), std::string::npos) << whiteout.out;
  // The next container starts from the image again.
  auto fresh = Run({}, {"sh", "-c", "cat /etc/new-file; ls /bin/ls"});
  EXPECT_EQ(fresh.out, "/bin/ls\n") << fresh.err;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, VmE2e, ::testing::Values("qemu", "hull"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hull::e2e
