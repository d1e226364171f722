// Leveled logging to stderr. One line per message, written with a single write(2) so
// lines from different threads never interleave. The level is process-wide, set once
// at start-up (SetLogLevel / HULL_LOG=debug|info|warning|error) before threads start.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

namespace hull::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning"/"warn", "error", "off"; returns false if unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);
// Reads HULL_LOG from the environment, if set and valid.
void InitLoggingFromEnv();
// The program name printed before every line ("hull-vmm").
void SetLogProgramName(std::string name);

bool LogEnabled(LogLevel level);
void EmitLog(LogLevel level, std::string_view message);

class LogMessage {
 public:
  explicit LogMessage(LogLevel level, uint64_t suppressed = 0)
      : level_(level), suppressed_(suppressed) {}
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  uint64_t suppressed_;  // lines this call site dropped before this one
  std::ostringstream stream_;
};

// A limit on one call site's lines, for messages a guest (or any peer) can trigger at
// will: at most `burst` lines per `interval`, like the kernel's printk_ratelimited; the
// first line let through after some were dropped says how many. Thread-safe.
class LogRateLimit {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kBurst = 10;
  static constexpr std::chrono::seconds kInterval{5};

  // True if a line may be written at `now`; `*suppressed` is then the number dropped
  // since the last one written (and is reset).
  bool Allow(Clock::time_point now, uint64_t* suppressed);

 private:
  std::mutex mu_;
  Clock::time_point window_start_{};
  int in_window_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace hull::base

#define HULL_LOG(level)                                                       \
  if (!::hull::base::LogEnabled(::hull::base::LogLevel::level)) {             \
  } else                                                                      \
    ::hull::base::LogMessage(::hull::base::LogLevel::level).stream()

#define LOG_DEBUG HULL_LOG(kDebug)
#define LOG_INFO HULL_LOG(kInfo)
#define LOG_WARNING HULL_LOG(kWarning)
#define LOG_ERROR HULL_LOG(kError)

// LOG_WARNING / LOG_ERROR limited per call site (LogRateLimit): for anything a guest,
// a client or an image can make happen again and again.
#define HULL_LOG_LIMITED(level)                                                     \
  if (static ::hull::base::LogRateLimit hull_log_limit;                             \
      !::hull::base::LogEnabled(::hull::base::LogLevel::level)) {                   \
  } else if (uint64_t hull_log_dropped = 0;                                         \
             !hull_log_limit.Allow(::hull::base::LogRateLimit::Clock::now(),        \
                                   &hull_log_dropped)) {                            \
  } else                                                                            \
    ::hull::base::LogMessage(::hull::base::LogLevel::level, hull_log_dropped).stream()

#define LOG_WARNING_LIMITED HULL_LOG_LIMITED(kWarning)
#define LOG_ERROR_LIMITED HULL_LOG_LIMITED(kError)

// For our own broken invariants only (STYLE.md): never for guest or user input.
#define HULL_CHECK(cond)                                                           \
  do {                                                                             \
    if (!(cond)) ::hull::base::CheckFailed(#cond, __FILE__, __LINE__);             \
  } while (0)

namespace hull::base {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}
