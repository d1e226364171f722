#include "runtime/vm/vmm_command.h"

#include <nlohmann/json.hpp>

#include "guest/spec.h"

namespace hull::runtime::vm {

std::string KernelCmdline(const VmShape& shape) {
  std::string cmdline = kKernelCmdline;
  if (!shape.extra_kernel_args.empty()) cmdline += " " + shape.extra_kernel_args;
  return cmdline;
}

std::vector<std::string> QemuArgv(const std::string& qemu, bool kvm, const VmFiles& files,
                                  const VmShape& shape) {
  std::vector<std::string> argv = {
      qemu,
      "-M", "microvm,acpi=off,rtc=off",
      "-accel", kvm ? "kvm" : "tcg",
      "-cpu", kvm ? "host" : "max",
      "-m", std::to_string(shape.memory_mib) + "M",
      "-smp", std::to_string(shape.cpus),
      "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
      "-kernel", files.kernel,
      "-initrd", files.initramfs,
      "-append", KernelCmdline(shape),
      "-serial", "file:" + files.console_log,
      "-drive", "id=image,file=" + files.image_disk + ",format=raw,if=none,readonly=on",
      "-device", "virtio-blk-device,drive=image",
      "-drive", "id=rw,file=" + files.writable_disk + ",format=raw,if=none,cache=unsafe",
      "-device", "virtio-blk-device,drive=rw",
      "-device", "virtio-rng-device",
      // hull-init's channel: a virtio-serial port (raw bytes, no line discipline),
      // connected to the socket hull listens on.
      "-chardev", "socket,id=hull,path=" + files.channel_socket,
      "-device", "virtio-serial-device",
      "-device", std::string("virtserialport,chardev=hull,name=") + guest::kSerialPortName,
  };
  if (shape.user_net) {
    for (const char* a : {"-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"})
      argv.push_back(a);
  } else if (shape.nic) {
    argv.insert(argv.end(),
                {"-netdev", "tap,id=net0,ifname=" + shape.nic->tap + ",script=no,downscript=no",
                 "-device", "virtio-net-device,netdev=net0,mac=" + shape.nic->mac});
  }
  for (const auto& d : shape.volume_disks) {
    argv.insert(argv.end(),
                {"-drive", "id=" + d.id + ",file=" + d.path + ",format=raw,if=none" +
                               (d.read_only ? ",readonly=on" : ""),
                 "-device", "virtio-blk-device,drive=" + d.id + ",serial=" + d.id});
  }
  // passthrough: the guest's owners and modes are the host files' own (hull runs as root).
  for (const auto& v : shape.shares) {
    argv.insert(argv.end(),
                {"-fsdev", "local,id=" + v.tag + ",path=" + v.path + ",security_model=passthrough" +
                               (v.read_only ? ",readonly=on" : ""),
                 "-device", "virtio-9p-device,fsdev=" + v.tag + ",mount_tag=" + v.tag});
  }
  return argv;
}

std::string HullVmmConfig(const VmFiles& files, const VmShape& shape) {
  nlohmann::json j = {
      {"boot-source",
       {{"kernel_image_path", files.kernel},
        {"initrd_path", files.initramfs},
        {"boot_args", KernelCmdline(shape) + " reboot=k"}}},
      {"machine-config", {{"vcpu_count", shape.cpus}, {"mem_size_mib", shape.memory_mib}}},
      {"drives",
       {{{"drive_id", "image"}, {"path_on_host", files.image_disk},
         {"is_root_device", false}, {"is_read_only", true}},
        {{"drive_id", "rw"}, {"path_on_host", files.writable_disk},
         {"is_root_device", false}, {"is_read_only", false}}}},
      {"vsock", {{"guest_cid", 3}, {"uds_path", files.channel_socket}}},
      {"entropy", nlohmann::json::object()},
  };
  for (const auto& d : shape.volume_disks) {
    j["drives"].push_back({{"drive_id", d.id}, {"path_on_host", d.path},
                           {"is_root_device", false}, {"is_read_only", d.read_only}});
  }
  if (shape.nic) {
    j["network-interfaces"] = {{{"iface_id", "eth0"}, {"host_dev_name", shape.nic->tap},
                                {"guest_mac", shape.nic->mac}}};
  }
  return j.dump(2);
}

std::vector<std::string> HullVmmArgv(const std::string& hull_vmm, const VmFiles& files) {
  // The per-VM API beside the vsock socket (in the jail's bound directory when jailed):
  // hulld reads GET /metrics there for the container's stats.
  std::string dir = files.channel_socket.substr(0, files.channel_socket.rfind('/') + 1);
  return {hull_vmm, "--config", files.config_file, "--serial", "file:" + files.console_log,
          "--api-sock", dir + "api.sock"};
}

}  // namespace hull::runtime::vm
