// virtio-mmio end to end under real KVM: hull-vmm places the echo test device in the
// MMIO gap and announces it on the command line; the test guest (mode "virtio") finds
// it, negotiates, kicks through the KVM ioeventfd, gets its bytes echoed by the device
// on the event loop thread, then breaks the rules and sees DEVICE_NEEDS_RESET.
#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "devices/testing/echo_device.h"
#include "tests/kvm/kvm_available.h"
#include "tests/kvm/vmm_test_util.h"
#include "vmm/machine.h"
#include "vmm/virtio_devices.h"

namespace hull::vmm {
namespace {

TEST(VirtioMmio, CommandLineAnnouncesEachDeviceInItsSlot) {
  EXPECT_EQ(VirtioMmioCmdline(0), "");
  EXPECT_EQ(VirtioMmioCmdline(2),
            " virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6");
}

TEST(VirtioMmio, GuestDrivesTheEchoDeviceThroughIoeventfdAndIrqfd) {
  SKIP_WITHOUT_KVM();
  char path[] = "/tmp/hull-virtio-serial.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  base::UniqueFd owned(fd);
  VmConfig config;
  config.kernel_image_path = testing::GuestElf();
  config.boot_args = "hulltest.mode=virtio console=ttyS0";
  config.mem_size_mib = 32;
  config.serial_output = SerialOutput::kFile;
  config.serial_path = path;
  config.timeout_seconds = 300;
  auto device = std::make_shared<devices::testing::EchoDevice>();
  auto machine = Machine::Create(config, {device});
  ASSERT_TRUE(machine.ok()) << machine.status().message();
  VmEnd end;
  std::thread runner([&] { end = (*machine)->Run(); });
  runner.join();
  auto serial = base::ReadFileToString(path);
  unlink(path);
  ASSERT_TRUE(serial.ok());
  EXPECT_EQ(end.kind, VmEndKind::kExitPort) << end.detail << "\nserial:\n" << *serial;
  EXPECT_EQ(end.value, 0u) << *serial;
  EXPECT_NE(serial->find("virtio: echo ok\n"), std::string::npos) << *serial;
  EXPECT_NE(serial->find("virtio: needs-reset ok\n"), std::string::npos) << *serial;
  EXPECT_EQ(device->chains_processed(), 1u);
  EXPECT_FALSE(device->active()) << "the guest's reset reached the device";
}

}  // namespace
}  // namespace hull::vmm
