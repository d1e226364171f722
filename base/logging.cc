#include "base/logging.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace hull::base {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kWarning};
// Set once at start-up, before other threads exist.
std::string& ProgramName() {
  static std::string name = "hull";
  return name;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: break;
  }
  return "";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }
void SetLogProgramName(std::string name) { ProgramName() = std::move(name); }

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  if (text == "debug") *level = LogLevel::kDebug;
  else if (text == "info") *level = LogLevel::kInfo;
  else if (text == "warning" || text == "warn") *level = LogLevel::kWarning;
  else if (text == "error") *level = LogLevel::kError;
  else if (text == "off") *level = LogLevel::kOff;
  else return false;
  return true;
}

void InitLoggingFromEnv() {
  const char* env = std::getenv("HULL_LOG");
  LogLevel level;
  if (env != nullptr && ParseLogLevel(env, &level)) SetLogLevel(level);
}

bool LogEnabled(LogLevel level) { return level >= GetLogLevel() && level != LogLevel::kOff; }

void EmitLog(LogLevel level, std::string_view message) {
  std::string line = ProgramName() + ": " + LevelName(level) + ": ";
  line.append(message);
  line.push_back('\n');
  // One write so concurrent lines stay whole; stderr errors are not actionable.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

LogMessage::~LogMessage() {
  if (suppressed_ > 0) {
    stream_ << " (" << suppressed_ << " similar message" << (suppressed_ == 1 ? "" : "s")
            << " suppressed)";
  }
  EmitLog(level_, stream_.str());
}

bool LogRateLimit::Allow(Clock::time_point now, uint64_t* suppressed) {
  std::lock_guard lock(mu_);
  if (in_window_ == 0 || now - window_start_ >= kInterval) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= kBurst) {
    ++dropped_;
    return false;
  }
  ++in_window_;
  *suppressed = dropped_;
  dropped_ = 0;
  return true;
}

void CheckFailed(const char* cond, const char* file, int line) {
  EmitLog(LogLevel::kError, std::string("internal error: check failed: ") + cond + " at " +
                                file + ":" + std::to_string(line));
  std::abort();
}

}  // namespace hull::base
