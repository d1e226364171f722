// A container's log: Docker's json-file format, one JSON object per line
// ({"log":"text\n","stream":"stdout","time":"RFC 3339 nano"}), rotated by size to
// PATH.1 (one old file kept). JsonLogWriter is used by the container's monitor process
// (one thread); JsonLogReader by hulld's logs and attach handlers (one per request).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace hull::engine {

struct LogEntry {
  std::string stream;  // "stdout" | "stderr"
  std::string text;    // including its trailing newline, if it had one
  std::string time;    // RFC 3339 nano
};

class JsonLogWriter {
 public:
  static base::Result<JsonLogWriter> Open(std::string path, int64_t max_bytes);
  // Splits `data` into lines (a partial line is kept until its newline, EOF or 16 KiB).
  base::Status Write(std::string_view stream, std::string_view data);
  // Writes out what is buffered without a newline (at end of file), and fsyncs.
  base::Status Flush();
  // Whether a line without its newline is held back, and writing it out as an entry of
  // its own: a prompt ("/ # ") must reach an attached terminal before its newline does.
  bool HasPartial() const { return !partial_[0].empty() || !partial_[1].empty(); }
  base::Status EmitPartial();

 private:
  JsonLogWriter(std::string path, base::UniqueFd fd, int64_t size, int64_t max)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size), max_(max) {}
  base::Status Emit(std::string_view stream, std::string_view text);
  std::string path_;
  base::UniqueFd fd_;
  int64_t size_ = 0;
  int64_t max_ = 0;
  std::string partial_[2];  // stdout, stderr
};

// Reads entries in order from PATH.1 (if present) then PATH, and on from where it left
// off as the file grows (follows rotation by noticing PATH's inode change).
class JsonLogReader {
 public:
  // from_end: skip what is there now (attach).
  static JsonLogReader Open(const std::string& path, bool from_end);
  // The next complete entry, or nothing when none is available now.
  std::optional<LogEntry> Next();

 private:
  explicit JsonLogReader(std::string path) : path_(std::move(path)) {}
  bool Refill();
  std::string path_;
  base::UniqueFd fd_;
  ino_t inode_ = 0;
  bool reading_rotated_ = false;
  std::string buffer_;
};

// Parses one line; nothing for a malformed one.
std::optional<LogEntry> ParseLogLine(std::string_view line);

}  // namespace hull::engine
