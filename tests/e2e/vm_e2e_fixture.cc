#include "tests/e2e/vm_e2e_fixture.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "rootfs-builder/builtin_image.h"
#include "rootfs-builder/content_store.h"
#include "rootfs-builder/image_builder.h"
#include "runtime/vm/backend.h"
#include "runtime/vm/guest_artifacts.h"
#include "tests/e2e/vm_e2e_support.h"

namespace hull::e2e {
namespace {

namespace fs = std::filesystem;

// Removes the shared store when the test program ends.
class RemoveSharedStore : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!root_.empty()) fs::remove_all(root_);
  }
  static std::string root_;
};
std::string RemoveSharedStore::root_;
[[maybe_unused]] auto* const kRemoveSharedStore =
    ::testing::AddGlobalTestEnvironment(new RemoveSharedStore);

}  // namespace

const Store& SharedStore() {
  static Store* store = [] {
    auto* s = new Store;
    std::string t = fs::temp_directory_path().string() + "/hull-vm-e2e-XXXXXX";
    s->root = mkdtemp(t.data());
    RemoveSharedStore::root_ = s->root;
    auto cs = rootfs::ContentStore::Open(s->root);
    if (!cs.ok()) return s;
    auto rec = rootfs::EnsureBuiltinBusyboxImage(*cs);
    if (!rec.ok()) return s;
    auto image = rootfs::ReadStoredImage(*cs, rec->manifest);
    if (!image.ok()) return s;
    auto out = rootfs::EnsureRootfs(*cs, *image, true);
    if (out.ok()) s->image_ext4 = out->ext4;
    return s;
  }();
  return *store;
}

// The backend notice ("hull: vm: qemu (TCG): ...") is hull's first stderr line.
std::string WithoutNotice(const std::string& err) {
  if (err.rfind("hull: vm: ", 0) == 0) return err.substr(err.find('\n') + 1);
  return err;
}

void VmE2e::SetUp() {
  auto guest = runtime::vm::FindGuestArtifacts();
  if (!guest.ok()) GTEST_SKIP() << guest.status().message();
  if (GetParam() == "hull") {
    // HULL_E2E_HULL_ON_ANY_KVM=1: run them on any /dev/kvm that opens, emulated or not
    // (./dev.sh test does so under nested KVM inside QEMU/TCG: slow, but real KVM).
    auto hw = runtime::vm::ProbeHardwareVirt();
    bool any_kvm = testing::EnvOr("HULL_E2E_HULL_ON_ANY_KVM", "") == "1";
    if (!hw.hardware_speed && !(any_kvm && hw.kvm_opens))
      GTEST_SKIP() << "hull backend needs hardware virtualization: " << hw.detail;
  }
  ASSERT_FALSE(SharedStore().image_ext4.empty()) << "could not build hull/busybox";
}

void VmE2e::TearDown() {
  // Nothing left behind: no VMM processes, no VM work directories.
  EXPECT_EQ(CountProcessesMatching(SharedStore().root + "/tmp/hull-vm-"), 0);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(SharedStore().root + "/tmp", ec))
    EXPECT_EQ(e.path().filename().string().rfind("hull-vm-", 0), std::string::npos)
        << "left behind: " << e.path();
}

std::vector<std::string> VmE2e::Argv(const std::vector<std::string>& options,
                                     const std::vector<std::string>& command) {
  std::vector<std::string> argv = {HULL_CLI_PATH, "--root", SharedStore().root, "run",
                                   "--rm", "--vmm", GetParam()};
  if (std::find(options.begin(), options.end(), "--memory") == options.end())
    argv.insert(argv.end(), {"--memory", "128m"});
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(rootfs::kBuiltinBusyboxImage);
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

testing::ProcessResult VmE2e::Run(const std::vector<std::string>& options,
                                  const std::vector<std::string>& command, const std::string& in) {
  testing::ProcessResult r = testing::RunProcess(Argv(options, command), kTimeout, in);
  r.err = WithoutNotice(r.err);
  return r;
}

}  // namespace hull::e2e
