#include "vmm/metrics/metrics_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <nlohmann/json.hpp>

#include "base/logging.h"

namespace hull::vmm {

base::Result<std::unique_ptr<MetricsFile>> MetricsFile::Open(const std::string& path) {
  ASSIGN_OR_RETURN(base::UniqueFd fd,
                   base::OpenFile(path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK, 0600));
  return std::unique_ptr<MetricsFile>(new MetricsFile(path, std::move(fd)));
}

base::Status MetricsFile::Write(const std::string& json_object) {
  std::lock_guard<std::mutex> lock(mu_);
  return WriteLocked(json_object);
}

base::Status MetricsFile::Write(const std::function<std::string()>& compose) {
  std::lock_guard<std::mutex> lock(mu_);
  return WriteLocked(compose());
}

base::Status MetricsFile::WriteLocked(const std::string& json_object) {
  std::string line = json_object + "\n";
  ssize_t n;
  do {
    n = ::write(fd_.get(), line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(line.size())) return base::Status::Ok();
  ++missed_;
  if (n < 0 && errno == EAGAIN) {
    return base::Status::Error("metrics file " + path_ + " is full (a FIFO nobody reads); "
                               "the line was dropped");
  }
  if (n < 0) return base::Status::Errno("writing the metrics file " + path_);
  return base::Status::Error("metrics file " + path_ + ": only " + std::to_string(n) + " of " +
                             std::to_string(line.size()) + " bytes written");
}

uint64_t MetricsFile::missed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return missed_;
}

std::string ComposeMetrics(const ResidentMemory* rss, const std::string& devices_json) {
  using json = nlohmann::json;
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  json vmm = json::object();
  if (rss != nullptr) {
    base::Result<uint64_t> bytes = rss->Bytes();
    if (bytes.ok()) vmm["resident_memory_bytes"] = *bytes;
  }
  json out = {
      {"utc_timestamp_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count()},
      {"vmm", std::move(vmm)}};
  if (!devices_json.empty()) {
    json devices = json::parse(devices_json, nullptr, /*allow_exceptions=*/false);
    if (devices.is_object()) out.update(devices);
  }
  return out.dump();
}

MetricsFlusher::MetricsFlusher(MetricsFile* file, double period_s,
                               std::function<std::string()> compose,
                               std::function<void()> on_start)
    : file_(file), compose_(std::move(compose)) {
  thread_ = std::thread([this, period_s, on_start = std::move(on_start)] {
    Loop(period_s, on_start);
  });
}

MetricsFlusher::~MetricsFlusher() { Stop(); }

void MetricsFlusher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MetricsFlusher::Flush() {
  if (base::Status s = file_->Write(compose_); !s.ok()) {
    LOG_WARNING << s.message();
  }
}

void MetricsFlusher::Loop(double period_s, const std::function<void()>& on_start) {
  if (on_start) on_start();
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(period_s));
  auto next = std::chrono::steady_clock::now() + period;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) break;
    lock.unlock();
    Flush();
    lock.lock();
    next += period;
  }
  lock.unlock();
  Flush();  // the last line, as Firecracker writes one when it exits
}

}  // namespace hull::vmm
