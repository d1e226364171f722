// The config's drives as devices, without KVM: root= arguments by position, read-only
// and PARTUUID forms; images opened before boot, with errors that name drive and path.
#include "vmm/block_drives.h"

#include <gtest/gtest.h>

#include "devices/block/test_files.h"

namespace hull::vmm {
namespace {

using devices::block::testing::PatternBytes;
using devices::block::testing::TempDir;
using devices::block::testing::WriteFile;

DriveConfig Drive(std::string id, std::string path) {
  DriveConfig d;
  d.drive_id = std::move(id);
  d.path_on_host = std::move(path);
  return d;
}

TEST(BlockDrives, RootDeviceIsNamedByItsPositionAndMode) {
  VmConfig config;
  EXPECT_EQ(RootDeviceArgs(config), "");
  config.drives = {Drive("a", "/x"), Drive("b", "/y")};
  EXPECT_EQ(RootDeviceArgs(config), "");
  config.drives[1].is_root_device = true;
  EXPECT_EQ(RootDeviceArgs(config), " root=/dev/vdb rw");
  config.drives[1].is_read_only = true;
  EXPECT_EQ(RootDeviceArgs(config), " root=/dev/vdb ro");
  config.drives[1].partuuid = "0eaa91a0-01";
  EXPECT_EQ(RootDeviceArgs(config), " root=PARTUUID=0eaa91a0-01 ro");
}

TEST(BlockDrives, OneDevicePerDriveInOrder) {
  TempDir dir;
  WriteFile(dir.Path("a"), PatternBytes(4096, 1));
  WriteFile(dir.Path("b"), PatternBytes(8192, 2));
  VmConfig config;
  config.drives = {Drive("a", dir.Path("a")), Drive("b", dir.Path("b"))};
  config.drives[1].overlay_path = dir.Path("b.cow");
  auto devices = CreateBlockDevices(config);
  ASSERT_TRUE(devices.ok()) << devices.status().message();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0]->device_type(), uint32_t{VIRTIO_ID_BLOCK});
  uint64_t capacity = 0;
  (*devices)[1]->ReadConfig(0, {reinterpret_cast<uint8_t*>(&capacity), 8});
  EXPECT_EQ(capacity, 16u);
}

TEST(BlockDrives, MissingImageIsAnErrorNamingDriveAndPath) {
  TempDir dir;
  VmConfig config;
  config.drives = {Drive("data", dir.Path("missing.img"))};
  auto devices = CreateBlockDevices(config);
  ASSERT_FALSE(devices.ok());
  EXPECT_NE(devices.status().message().find("drive data"), std::string::npos);
  EXPECT_NE(devices.status().message().find(dir.Path("missing.img")), std::string::npos);
}

TEST(BlockDrives, OverlayOfAnotherBaseIsRefused) {
  TempDir dir;
  WriteFile(dir.Path("base"), PatternBytes(65536, 1));
  VmConfig config;
  config.drives = {Drive("root", dir.Path("base"))};
  config.drives[0].overlay_path = dir.Path("cow");
  { ASSERT_TRUE(CreateBlockDevices(config).ok()); }
  WriteFile(dir.Path("base"), PatternBytes(65536 * 2, 1));
  auto devices = CreateBlockDevices(config);
  ASSERT_FALSE(devices.ok());
  EXPECT_NE(devices.status().message().find("made for a base of"), std::string::npos)
      << devices.status().message();
}

}  // namespace
}  // namespace hull::vmm
