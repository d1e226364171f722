#include "vmm/config/flags.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

#include <boost/program_options.hpp>

#include "vmm/config/config_file.h"
#include "vmm/config/device_flags.h"
#include "vmm/config/number_text.h"

namespace hull::vmm {
namespace {

namespace po = boost::program_options;
using base::Result;
using base::Status;

constexpr char kSeeHelp[] = "; see hull-vmm --help";

po::options_description VisibleOptions() {
  po::options_description options("Options", 100, 50);
  options.add_options()
      ("config", po::value<std::string>()->value_name("FILE"),
       "JSON VM config: Firecracker's config-file format plus a \"hull\" section. "
       "The flags below override its values.")
      ("kernel", po::value<std::string>()->value_name("PATH"), "guest kernel image")
      ("initrd", po::value<std::string>()->value_name("PATH"), "initrd / initramfs image")
      ("cmdline", po::value<std::string>()->value_name("TEXT"),
       ("kernel command line (default: \"" + VmConfig::default_boot_args() + "\")").c_str())
      ("boot-args", po::value<std::string>()->value_name("TEXT"), "same as --cmdline")
      ("vcpus", po::value<std::string>()->value_name("N"), "number of vCPUs, 1-254 (default 1)")
      ("memory", po::value<std::string>()->value_name("SIZE"),
       "guest memory in MiB, or with a binary unit: 512M, 2G (default 128)")
      ("huge-pages", po::value<std::string>()->value_name("none|2M"),
       "back guest memory with 2 MiB huge pages (default none)")
      ("memory-backing", po::value<std::string>()->value_name("anonymous|memfd"),
       "how guest memory is allocated (default anonymous)")
      ("serial", po::value<std::string>()->value_name("stdout|none|pty|file:PATH"),
       "where the guest's serial console goes (default stdout)")
      ("cpuid-mask", po::value<std::vector<std::string>>()->value_name("LEAF[.SUBLEAF]:REG:BITS"),
       "clear BITS in register REG (eax, ebx, ecx, edx) of CPUID leaf LEAF; numbers may be "
       "0x hex; repeatable, and added to the config file's masks")
      ("timeout", po::value<std::string>()->value_name("SECONDS"),
       "stop the VM after this many seconds; 0: never (default)")
      ("metrics-path", po::value<std::string>()->value_name("FILE"),
       "append the VM's metrics (GET /metrics's object) as one JSON line to FILE (a file, "
       "created if missing, or a FIFO) every --metrics-period seconds and when hull-vmm exits")
      ("metrics-period", po::value<std::string>()->value_name("SECONDS"),
       "seconds between metrics lines (default 60, Firecracker's)")
      ("drive", po::value<std::vector<std::string>>()->value_name("SETTINGS"), kDriveFlagHelp)
      ("net", po::value<std::vector<std::string>>()->value_name("SETTINGS"), kNetFlagHelp)
      ("vsock", po::value<std::string>()->value_name("cid=N,uds=PATH"), kVsockFlagHelp)
      ("entropy", po::bool_switch(), "add a virtio-rng device fed from the host's getrandom(2)")
      ("api-sock", po::value<std::string>()->value_name("PATH"),
       "serve the per-VM API (Firecracker's endpoints) on a Unix socket; without a kernel, "
       "wait for the configuration over the API and boot on InstanceStart")
      ("no-seccomp", po::bool_switch(),
       "run without hull-vmm's per-thread seccomp filters (debugging only: the VMM is then "
       "not confined, and says so on stderr)")
      ("log-level", po::value<std::string>()->value_name("debug|info|warning|error"),
       "log verbosity (default: HULL_LOG, else warning)")
      ("version", po::bool_switch(), "print the version and exit")
      ("help,h", po::bool_switch(), "print this help and exit");
  return options;
}

std::string HelpText(const po::options_description& options) {
  std::stringstream text;
  text << "Usage: hull-vmm [--config FILE] [OPTIONS]\n"
          "       hull-vmm --jail JAIL-OPTIONS -- [--config FILE] [OPTIONS]\n\n"
          "Boots one micro-VM on KVM and runs it until the guest powers off. Describe the VM\n"
          "with a JSON config file (--config), with flags, or both: flags given together\n"
          "with --config override the file's values. With --jail (first) it runs confined in\n"
          "hull-jailer's jail, built around itself (hull-vmm --jail --help).\n\n"
       << options
       << "\nExample:\n"
          "  hull-vmm --kernel vmlinux --initrd initramfs.cpio --vcpus 2 --memory 512M \\\n"
          "      --cmdline \"console=ttyS0 reboot=k panic=1\" --serial file:/tmp/console.log\n";
  // Boost pads wrapped description lines with spaces; drop them.
  std::string help;
  std::string line;
  while (std::getline(text, line)) {
    line.erase(line.find_last_not_of(' ') + 1);
    help += line + "\n";
  }
  return help;
}

std::string DescribeBoostError(const po::error& error) {
  if (const auto* unknown = dynamic_cast<const po::unknown_option*>(&error)) {
    return "unknown option " + unknown->get_option_name() + kSeeHelp;
  }
  return error.what() + std::string(kSeeHelp);
}

const std::string* Find(const po::variables_map& vars, const char* name) {
  auto it = vars.find(name);
  return it == vars.end() ? nullptr : &it->second.as<std::string>();
}

Status BadValue(const char* flag, const std::string& value, const std::string& want) {
  return Status::Error(std::string("--") + flag + " \"" + value + "\": " + want);
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

// "512" (MiB), "512M", "2G", "1T"; also "MiB"/"MB" and the like, all binary units.
Result<uint64_t> ParseMemoryMib(const std::string& text) {
  const char* kWant = "give MiB (512) or a size with a unit (512M, 2G)";
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::optional<uint64_t> number = internal::ParseUnsignedText(text.substr(0, digits));
  if (!number) return BadValue("memory", text, kWant);
  const std::string unit = Lower(text.substr(digits));
  uint64_t scale = 0;
  if (unit.empty() || unit == "m" || unit == "mb" || unit == "mib") scale = 1;
  if (unit == "g" || unit == "gb" || unit == "gib") scale = 1024;
  if (unit == "t" || unit == "tb" || unit == "tib") scale = 1024 * 1024;
  if (scale == 0) return BadValue("memory", text, kWant);
  if (*number > std::numeric_limits<uint64_t>::max() / scale) {
    return BadValue("memory", text, "too large");
  }
  return *number * scale;
}

std::optional<uint32_t> ParseU32(const std::string& text) {
  std::optional<uint64_t> number = internal::ParseUnsignedText(text);
  if (!number || *number > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(*number);
}

// LEAF[.SUBLEAF]:REG:BITS, e.g. "0x7.0:ebx:0x200" or "1:ecx:0x80000000".
Result<CpuidMask> ParseCpuidMask(const std::string& text) {
  auto bad = [&](const char* part) {
    return BadValue("cpuid-mask", text, std::string(part) + "; give LEAF[.SUBLEAF]:REG:BITS "
                                        "with 32-bit numbers, e.g. 0x7.0:ebx:0x200");
  };
  size_t first = text.find(':');
  size_t second = first == std::string::npos ? first : text.find(':', first + 1);
  if (second == std::string::npos || text.find(':', second + 1) != std::string::npos) {
    return bad("expected three parts separated by ':'");
  }
  std::string leaf = text.substr(0, first);
  CpuidMask mask;
  if (size_t dot = leaf.find('.'); dot != std::string::npos) {
    mask.subleaf = ParseU32(leaf.substr(dot + 1));
    if (!mask.subleaf) return bad("bad SUBLEAF");
    leaf.resize(dot);
  }
  std::optional<uint32_t> leaf_number = ParseU32(leaf);
  if (!leaf_number) return bad("bad LEAF");
  mask.leaf = *leaf_number;
  mask.reg = text.substr(first + 1, second - first - 1);
  if (mask.reg != "eax" && mask.reg != "ebx" && mask.reg != "ecx" && mask.reg != "edx") {
    return bad("REG must be eax, ebx, ecx or edx");
  }
  std::optional<uint32_t> bits = ParseU32(text.substr(second + 1));
  if (!bits) return bad("bad BITS");
  mask.clear_bits = *bits;
  return mask;
}

Status ApplyBootFlags(const po::variables_map& vars, VmConfig* config) {
  if (const std::string* kernel = Find(vars, "kernel")) config->kernel_image_path = *kernel;
  if (const std::string* initrd = Find(vars, "initrd")) config->initrd_path = *initrd;
  const std::string* cmdline = Find(vars, "cmdline");
  const std::string* boot_args = Find(vars, "boot-args");
  if (cmdline != nullptr && boot_args != nullptr) {
    return Status::Error("--cmdline and --boot-args are the same option; give one of them");
  }
  if (cmdline == nullptr) cmdline = boot_args;
  if (cmdline != nullptr) config->boot_args = *cmdline;
  return Status::Ok();
}

Status ApplyMachineFlags(const po::variables_map& vars, VmConfig* config) {
  if (const std::string* vcpus = Find(vars, "vcpus")) {
    std::optional<uint64_t> number = internal::ParseUnsignedText(*vcpus);
    if (!number || *number < 1 || *number > kMaxVcpus) {
      return BadValue("vcpus", *vcpus, "give a whole number from 1 to " +
                                           std::to_string(kMaxVcpus));
    }
    config->vcpu_count = static_cast<uint32_t>(*number);
  }
  if (const std::string* memory = Find(vars, "memory")) {
    ASSIGN_OR_RETURN(config->mem_size_mib, ParseMemoryMib(*memory));
  }
  if (const std::string* huge = Find(vars, "huge-pages")) {
    const std::string value = Lower(*huge);
    if (value == "none") config->huge_pages = HugePages::kNone;
    else if (value == "2m") config->huge_pages = HugePages::k2M;
    else return BadValue("huge-pages", *huge, "give none or 2M");
  }
  if (const std::string* backing = Find(vars, "memory-backing")) {
    if (*backing == "anonymous") config->memory_backing = MemoryBacking::kAnonymous;
    else if (*backing == "memfd") config->memory_backing = MemoryBacking::kMemfd;
    else return BadValue("memory-backing", *backing, "give anonymous or memfd");
  }
  return Status::Ok();
}

// Replaces the element with the same id, or appends.
template <typename T, typename Id>
void Upsert(std::vector<T>* list, T item, Id T::*id) {
  for (T& existing : *list) {
    if (existing.*id == item.*id) {
      existing = std::move(item);
      return;
    }
  }
  list->push_back(std::move(item));
}

Status ApplyDeviceFlags(const po::variables_map& vars, VmConfig* config) {
  if (auto it = vars.find("drive"); it != vars.end()) {
    for (const std::string& text : it->second.as<std::vector<std::string>>()) {
      ASSIGN_OR_RETURN(DriveConfig drive, ParseDriveFlag(text));
      Upsert(&config->drives, std::move(drive), &DriveConfig::drive_id);
    }
  }
  if (auto it = vars.find("net"); it != vars.end()) {
    for (const std::string& text : it->second.as<std::vector<std::string>>()) {
      ASSIGN_OR_RETURN(NetworkInterfaceConfig iface, ParseNetFlag(text));
      Upsert(&config->network_interfaces, std::move(iface), &NetworkInterfaceConfig::iface_id);
    }
  }
  if (const std::string* vsock = Find(vars, "vsock")) {
    ASSIGN_OR_RETURN(config->vsock, ParseVsockFlag(*vsock));
  }
  return Status::Ok();
}

Status ApplyHullFlags(const po::variables_map& vars, VmConfig* config) {
  if (vars["entropy"].as<bool>()) config->entropy = true;
  if (const std::string* serial = Find(vars, "serial")) {
    config->serial_path.clear();
    if (*serial == "stdout") config->serial_output = SerialOutput::kStdout;
    else if (*serial == "none") config->serial_output = SerialOutput::kNone;
    else if (*serial == "pty") config->serial_output = SerialOutput::kPty;
    else if (serial->starts_with("file:") && serial->size() > 5) {
      config->serial_output = SerialOutput::kFile;
      config->serial_path = serial->substr(5);
    } else {
      return BadValue("serial", *serial, "give stdout, none, pty or file:PATH");
    }
  }
  if (auto it = vars.find("cpuid-mask"); it != vars.end()) {
    for (const std::string& text : it->second.as<std::vector<std::string>>()) {
      ASSIGN_OR_RETURN(CpuidMask mask, ParseCpuidMask(text));
      config->cpuid_masks.push_back(std::move(mask));
    }
  }
  if (const std::string* timeout = Find(vars, "timeout")) {
    double seconds = 0;
    const char* end = timeout->data() + timeout->size();
    auto [ptr, err] = std::from_chars(timeout->data(), end, seconds);
    if (err != std::errc() || ptr != end || !std::isfinite(seconds) || seconds < 0) {
      return BadValue("timeout", *timeout, "give a number of seconds >= 0 (0: no timeout)");
    }
    config->timeout_seconds = seconds;
  }
  if (const std::string* path = Find(vars, "metrics-path")) {
    if (path->empty()) return BadValue("metrics-path", *path, "give a file or FIFO path");
    config->metrics_path = *path;
  }
  if (const std::string* period = Find(vars, "metrics-period")) {
    double seconds = 0;
    const char* end = period->data() + period->size();
    auto [ptr, err] = std::from_chars(period->data(), end, seconds);
    if (err != std::errc() || ptr != end || !std::isfinite(seconds) || seconds <= 0) {
      return BadValue("metrics-period", *period, "give a number of seconds > 0");
    }
    config->metrics_period_s = seconds;
  }
  return Status::Ok();
}

}  // namespace

Result<VmmCommandLine> ParseVmmFlags(int argc, const char* const* argv) {
  VmmCommandLine out;
  po::options_description visible = VisibleOptions();
  out.help_text = HelpText(visible);
  po::options_description all;
  all.add(visible).add_options()("positional", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("positional", -1);
  po::variables_map vars;
  try {
    // No guessing: "--mem" must not quietly mean --memory or --memory-backing.
    const int style = po::command_line_style::default_style &
                      ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(argc, argv)
                  .options(all).positional(positional).style(style).run(),
              vars);
    po::notify(vars);
  } catch (const po::error& error) {
    return Status::Error(DescribeBoostError(error));
  } catch (const std::exception& error) {
    return Status::Error(std::string("bad command line: ") + error.what() + kSeeHelp);
  }
  if (auto it = vars.find("positional"); it != vars.end()) {
    return Status::Error("unexpected argument \"" +
                         it->second.as<std::vector<std::string>>().front() +
                         "\": hull-vmm takes only options" + kSeeHelp);
  }
  out.help = vars["help"].as<bool>();
  out.version = vars["version"].as<bool>();
  if (out.help || out.version) return out;

  if (const std::string* path = Find(vars, "config")) {
    ConfigFileExtras extras;
    ASSIGN_OR_RETURN(out.config, LoadConfigFile(*path, &extras));
    out.log_level = extras.log_level;
    out.notes = std::move(extras.notes);
  }
  RETURN_IF_ERROR(ApplyBootFlags(vars, &out.config));
  RETURN_IF_ERROR(ApplyMachineFlags(vars, &out.config));
  RETURN_IF_ERROR(ApplyDeviceFlags(vars, &out.config));
  RETURN_IF_ERROR(ApplyHullFlags(vars, &out.config));
  if (const std::string* level = Find(vars, "log-level")) {
    base::LogLevel parsed;
    if (!base::ParseLogLevel(*level, &parsed)) {
      return BadValue("log-level", *level, "give debug, info, warning or error");
    }
    out.log_level = parsed;
  }
  if (vars["no-seccomp"].as<bool>()) out.seccomp = false;
  if (const std::string* api_sock = Find(vars, "api-sock")) {
    if (api_sock->empty()) return BadValue("api-sock", *api_sock, "give a socket path");
    out.api_sock = *api_sock;
  }
  if (!out.api_sock.empty() && out.config.kernel_image_path.empty()) {
    // The kernel comes over the API; everything else must already be right.
    VmConfig check = out.config;
    check.kernel_image_path = "(from the API)";
    RETURN_IF_ERROR(ValidateVmConfig(check));
    return out;
  }
  RETURN_IF_ERROR(ValidateVmConfig(out.config));
  return out;
}

}  // namespace hull::vmm
