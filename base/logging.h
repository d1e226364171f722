// Leveled logging to stderr. One line per message, written with a single write(2) so
// lines from different threads never interleave. The level is process-wide, set once
// at start-up (SetLogLevel / HULL_LOG=debug|info|warning|error) before threads start.
#pragma once

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
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { EmitLog(level_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
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

// For our own broken invariants only (STYLE.md): never for guest or user input.
#define HULL_CHECK(cond)                                                           \
  do {                                                                             \
    if (!(cond)) ::hull::base::CheckFailed(#cond, __FILE__, __LINE__);             \
  } while (0)

namespace hull::base {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}
