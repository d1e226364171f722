#include "vmm/api/controller.h"

#include <sys/eventfd.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "base/logging.h"
#include "vmm/config/config_file.h"

namespace hull::vmm::api {
namespace {

using json = nlohmann::json;

// Checks everything but the presence of a kernel, which may still come later.
base::Status ValidateSoFar(VmConfig config) {
  if (config.kernel_image_path.empty()) config.kernel_image_path = "(not yet given)";
  return ValidateVmConfig(config);
}

const char* DeviceWhat(ConfigureDevice::Kind kind) {
  switch (kind) {
    case ConfigureDevice::Kind::kDrive: return "/drives";
    case ConfigureDevice::Kind::kNetworkInterface: return "/network-interfaces";
    case ConfigureDevice::Kind::kVsock: return "/vsock";
  }
  return "devices";
}

// Replaces the element with the same id, or appends (PUT of an existing id updates it,
// as in Firecracker).
template <typename T>
void UpsertById(std::vector<T>* list, const T& item, std::string T::*id) {
  for (T& existing : *list) {
    if (existing.*id == item.*id) {
      existing = item;
      return;
    }
  }
  list->push_back(item);
}

}  // namespace

Reply Reply::Refused(const std::string& message) {
  return {Kind::kRefused, json{{"fault_message", message}}.dump()};
}

base::Result<std::unique_ptr<Controller>> Controller::Create(VmConfig config,
                                                             InstanceIdentity identity) {
  ASSIGN_OR_RETURN(base::EventFd start_event, base::EventFd::Create(EFD_NONBLOCK));
  return std::unique_ptr<Controller>(
      new Controller(std::move(config), std::move(identity), std::move(start_event)));
}

Controller::Controller(VmConfig config, InstanceIdentity identity, base::EventFd start_event)
    : identity_(std::move(identity)), start_event_(std::move(start_event)),
      config_(std::move(config)) {
  // Opened here, on the main thread, before the API thread's seccomp filter exists.
  if (base::Result<ResidentMemory> rss = ResidentMemory::Open(); rss.ok()) {
    resident_memory_ = std::move(*rss);
  } else {
    LOG_WARNING << "GET /metrics will not report resident memory: " << rss.status().message();
  }
}

Reply Controller::Apply(const Action& action) {
  std::unique_lock<std::mutex> lock(mu_);
  if (std::holds_alternative<GetInstanceInfo>(action)) return InstanceInfo();
  if (std::holds_alternative<GetVmConfig>(action)) return VmConfigJson();
  if (std::holds_alternative<GetMachineConfig>(action)) return MachineConfigJson();
  if (std::holds_alternative<GetMetrics>(action)) return Metrics();
  if (const auto* boot = std::get_if<SetBootSource>(&action)) {
    if (auto refused = RequireNotStarted("PUT /boot-source")) return *refused;
    config_.kernel_image_path = boot->kernel_image_path;
    config_.initrd_path = boot->initrd_path;
    config_.boot_args = boot->boot_args;
    return Reply::Done();
  }
  if (const auto* update = std::get_if<UpdateMachineConfig>(&action)) {
    return UpdateMachine(*update);
  }
  if (const auto* device = std::get_if<api::ConfigureDevice>(&action)) {
    return ConfigureDevice(*device);
  }
  if (const auto* update = std::get_if<UpdateRateLimiters>(&action)) {
    return ChangeRateLimiters(*update);
  }
  if (std::holds_alternative<StartInstance>(action)) return Start(lock);
  if (std::holds_alternative<SendCtrlAltDel>(action)) return CtrlAltDel();
  if (std::holds_alternative<FlushMetrics>(action)) return Flush();
  if (std::holds_alternative<PauseVm>(action)) return ChangeRunState(/*pause=*/true);
  if (std::holds_alternative<ResumeVm>(action)) return ChangeRunState(/*pause=*/false);
  return Reply::Refused("unknown action");
}

const char* Controller::StateNameLocked() const {
  switch (state_) {
    case State::kNotStarted:
    case State::kStarting:
      return "Not started";
    case State::kRunning:
      return "Running";
    case State::kPaused:
      return "Paused";
    case State::kEnded:
      return "Ended";
  }
  return "Not started";
}

std::string Controller::StateName() const {
  std::lock_guard<std::mutex> lock(mu_);
  return StateNameLocked();
}

std::optional<Reply> Controller::RequireNotStarted(const char* action) const {
  if (state_ == State::kNotStarted) return std::nullopt;
  if (state_ == State::kStarting) {
    return Reply::Refused(std::string(action) + " is only allowed before boot, and the "
                          "microVM is starting");
  }
  return Reply::Refused(std::string(action) + " is only allowed before boot: the requested "
                        "operation is not supported after starting the microVM");
}

std::optional<Reply> Controller::RequireStarted(const char* action) const {
  if (state_ == State::kRunning || state_ == State::kPaused) return std::nullopt;
  if (state_ == State::kEnded) {
    return Reply::Refused(std::string(action) + ": the microVM has ended and hull-vmm is exiting");
  }
  return Reply::Refused(std::string(action) + " is only allowed after boot: the requested "
                        "operation is not supported before starting the microVM");
}

Reply Controller::InstanceInfo() const {
  const char* state = StateNameLocked();
  // Firecracker knows no ended state; the last one holds until hull-vmm exits.
  if (state_ == State::kEnded) state = booted_ ? "Running" : "Not started";
  return Reply::Data(json{{"id", identity_.id},
                          {"state", state},
                          {"vmm_version", identity_.vmm_version},
                          {"app_name", identity_.app_name}}
                         .dump());
}

Reply Controller::VmConfigJson() const {
  base::Result<std::string> text = FormatConfigFile(config_);
  if (!text.ok()) return Reply::Refused(text.status().message());
  json full = json::parse(*text);
  // Firecracker's GET /vm/config always lists the device sections.
  if (!full.contains("vsock")) full["vsock"] = nullptr;
  return Reply::Data(full.dump());
}

Reply Controller::MachineConfigJson() const {
  base::Result<std::string> text = FormatConfigFile(config_);
  if (!text.ok()) return Reply::Refused(text.status().message());
  return Reply::Data(json::parse(*text)["machine-config"].dump());
}

Reply Controller::UpdateMachine(const UpdateMachineConfig& update) {
  if (auto refused = RequireNotStarted("PUT /machine-config")) return *refused;
  VmConfig next = config_;
  if (update.vcpu_count) next.vcpu_count = *update.vcpu_count;
  if (update.mem_size_mib) next.mem_size_mib = *update.mem_size_mib;
  if (update.smt) next.smt = *update.smt;
  if (update.huge_pages) next.huge_pages = *update.huge_pages;
  if (base::Status valid = ValidateSoFar(next); !valid.ok()) {
    return Reply::Refused(valid.message());
  }
  for (const std::string& note : update.notes) LOG_INFO << note;
  config_ = std::move(next);
  return Reply::Done();
}

Reply Controller::ChangeRateLimiters(const api::UpdateRateLimiters& update) {
  const bool drive = update.kind == ConfigureDevice::Kind::kDrive;
  const std::string what = std::string("PATCH ") + DeviceWhat(update.kind) + "/" + update.id;
  if (state_ == State::kStarting) {
    return Reply::Refused(what + " is not allowed while the microVM is starting; try again");
  }
  if (state_ == State::kEnded) {
    return Reply::Refused(what + ": the microVM has ended and hull-vmm is exiting");
  }
  VmConfig next = config_;
  bool found = false;
  if (drive) {
    for (DriveConfig& d : next.drives) {
      if (d.drive_id != update.id) continue;
      update.limiter.ApplyTo(&d.rate_limiter);
      found = true;
    }
  } else {
    for (NetworkInterfaceConfig& iface : next.network_interfaces) {
      if (iface.iface_id != update.id) continue;
      update.rx.ApplyTo(&iface.rx_rate_limiter);
      update.tx.ApplyTo(&iface.tx_rate_limiter);
      found = true;
    }
  }
  if (!found) {
    return Reply::Refused(what + ": there is no " + (drive ? "drive" : "network interface") +
                          " \"" + update.id + "\"");
  }
  if (base::Status valid = ValidateSoFar(next); !valid.ok()) {
    return Reply::Refused(valid.message());
  }
  if (vm_ != nullptr) {
    if (base::Status s = vm_->UpdateRateLimiters(update); !s.ok()) {
      return Reply::Refused(what + ": " + s.message());
    }
  }
  config_ = std::move(next);
  return Reply::Done();
}

Reply Controller::Metrics() const {
  return Reply::Data(
      ComposeMetrics(resident_memory_ ? &*resident_memory_ : nullptr,
                     vm_ != nullptr ? vm_->MetricsJson() : std::string()));
}

Reply Controller::Flush() const {
  if (metrics_file_ == nullptr) {
    return Reply::Refused("FlushMetrics: there is no metrics file; start hull-vmm with "
                          "--metrics-path FILE (or metrics.metrics_path in --config)");
  }
  if (base::Status s = metrics_file_->Write([this] { return Metrics().body; }); !s.ok()) {
    return Reply::Refused("FlushMetrics: " + s.message());
  }
  return Reply::Done();
}

void Controller::SetMetricsFile(MetricsFile* file) {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_file_ = file;
}

std::string Controller::MetricsText() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Metrics().body;
}

Reply Controller::ConfigureDevice(const api::ConfigureDevice& device) {
  const std::string what = std::string("PUT ") + DeviceWhat(device.kind);
  if (auto refused = RequireNotStarted(what.c_str())) return *refused;
  VmConfig next = config_;
  if (const auto* drive = std::get_if<DriveConfig>(&device.device)) {
    UpsertById(&next.drives, *drive, &DriveConfig::drive_id);
  } else if (const auto* iface = std::get_if<NetworkInterfaceConfig>(&device.device)) {
    UpsertById(&next.network_interfaces, *iface, &NetworkInterfaceConfig::iface_id);
  } else if (const auto* vsock = std::get_if<VsockConfig>(&device.device)) {
    next.vsock = *vsock;
  } else {
    return Reply::Refused(what + ": no device in the request");
  }
  if (base::Status valid = ValidateSoFar(next); !valid.ok()) {
    return Reply::Refused(valid.message());
  }
  for (const std::string& note : device.notes) LOG_INFO << note;
  config_ = std::move(next);
  return Reply::Done();
}

Reply Controller::Start(std::unique_lock<std::mutex>& lock) {
  if (auto refused = RequireNotStarted("InstanceStart")) return *refused;
  if (base::Status valid = ValidateVmConfig(config_); !valid.ok()) {
    return Reply::Refused("cannot start the microVM: " + valid.message() +
                          (config_.kernel_image_path.empty() ? " (PUT /boot-source first)" : ""));
  }
  state_ = State::kStarting;
  start_requested_ = true;
  start_error_.clear();
  if (base::Status s = start_event_.Signal(); !s.ok()) {
    state_ = State::kNotStarted;
    start_requested_ = false;
    return Reply::Refused("cannot start the microVM: " + s.message());
  }
  start_done_.wait(lock, [this] { return state_ != State::kStarting; });
  if (state_ == State::kRunning || state_ == State::kPaused) return Reply::Done();
  if (state_ == State::kEnded) {
    return Reply::Refused("the microVM did not start: hull-vmm is exiting");
  }
  return Reply::Refused("cannot start the microVM: " + start_error_);
}

std::optional<VmConfig> Controller::TakeStartRequest() {
  std::lock_guard<std::mutex> lock(mu_);
  (void)start_event_.Consume();
  if (!start_requested_) return std::nullopt;
  start_requested_ = false;
  return config_;
}

void Controller::BootingFromConfig() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kNotStarted) state_ = State::kStarting;
}

void Controller::StartFailed(const base::Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != State::kStarting) return;
  state_ = State::kNotStarted;
  start_error_ = why.message();
  start_done_.notify_all();
}

void Controller::Started(RunningVm* vm) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kEnded) return;
  vm_ = vm;
  booted_ = true;
  state_ = State::kRunning;
  start_done_.notify_all();
}

void Controller::Ended() {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = State::kEnded;
  vm_ = nullptr;
  start_requested_ = false;
  start_done_.notify_all();
}

Reply Controller::ChangeRunState(bool pause) {
  const char* name =
      pause ? "PATCH /vm {\"state\": \"Paused\"}" : "PATCH /vm {\"state\": \"Resumed\"}";
  if (auto refused = RequireStarted(name)) return *refused;
  // Pausing a paused VM, or resuming a running one, changes nothing and is no error.
  if (pause && state_ == State::kRunning) {
    vm_->Pause();
    state_ = State::kPaused;
  } else if (!pause && state_ == State::kPaused) {
    vm_->Resume();
    state_ = State::kRunning;
  }
  return Reply::Done();
}

Reply Controller::CtrlAltDel() {
  if (auto refused = RequireStarted("SendCtrlAltDel")) return *refused;
  if (base::Status s = vm_->SendCtrlAltDel(); !s.ok()) {
    return Reply::Refused("SendCtrlAltDel failed: " + s.message());
  }
  return Reply::Done();
}

}  // namespace hull::vmm::api
