#include "bench/vm_on_tap.h"

#include <cstdio>

#include "rootfs-builder/content_store.h"
#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/reference.h"
#include "runtime/container_spec.h"
#include "runtime/vm/container.h"

namespace hull::bench {

namespace {

int Fail(const base::Status& s) {
  std::fprintf(stderr, "hull: bench %s: %s\n", kVmOnTapFlag, s.message().c_str());
  return 125;
}

}  // namespace

int RunVmOnTap(const std::vector<std::string>& args) {
  if (args.size() < 7) {
    return Fail(base::Status::Error("usage: VMM STORE IMAGE TAP ADDRESS GATEWAY COMMAND..."));
  }
  auto store = rootfs::ContentStore::Open(args[1]);
  if (!store.ok()) return Fail(store.status());
  auto ref = rootfs::ParseReference(args[2]);
  if (!ref.ok()) return Fail(ref.status());
  auto record = store->FindImage(ref->str());
  if (!record.ok()) return Fail(record.status());
  auto lock = store->LockShared();
  if (!lock.ok()) return Fail(lock.status());
  auto image = rootfs::ReadStoredImage(*store, record->manifest);
  if (!image.ok()) return Fail(image.status());
  auto outputs = rootfs::EnsureRootfs(*store, *image, /*ext4=*/true);
  if (!outputs.ok()) return Fail(outputs.status());

  runtime::vm::VmContainer vm;
  vm.spec.runtime = "vm";
  vm.spec.image = args[2];
  vm.spec.remove = true;
  vm.spec.args.assign(args.begin() + 6, args.end());
  vm.spec.vm_interface = runtime::TapInterface{args[3], "", args[4], args[5], {}, {}};
  vm.hostname = "hull-bench";
  auto process = runtime::ResolveProcess(vm.spec, image->config.defaults, vm.hostname);
  if (!process.ok()) return Fail(process.status());
  vm.process = *process;
  vm.image_disk = outputs->ext4;
  vm.vmm = args[0];
  vm.work_root = store->root() + "/tmp";
  return runtime::vm::RunVmContainer(vm);
}

}  // namespace hull::bench
