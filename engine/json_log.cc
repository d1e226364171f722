#include "engine/json_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "engine/container_record.h"

namespace hull::engine {

using base::Result;
using base::Status;
using base::UniqueFd;

namespace {
constexpr size_t kMaxPartial = 16 * 1024;  // Docker's line buffer
}

Result<JsonLogWriter> JsonLogWriter::Open(std::string path, int64_t max_bytes) {
  ASSIGN_OR_RETURN(UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_APPEND, 0640));
  struct stat st {};
  ::fstat(fd.get(), &st);
  return JsonLogWriter(std::move(path), std::move(fd), st.st_size, max_bytes);
}

Status JsonLogWriter::Emit(std::string_view stream, std::string_view text) {
  nlohmann::json j{{"log", std::string(text)}, {"stream", std::string(stream)},
                   {"time", NowRfc3339Nano()}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (max_ > 0 && size_ > 0 && size_ + static_cast<int64_t>(line.size()) > max_) {
    std::string old = path_ + ".1";
    if (::rename(path_.c_str(), old.c_str()) != 0) return Status::Errno("rotating " + path_);
    ASSIGN_OR_RETURN(fd_, base::OpenFile(path_, O_WRONLY | O_CREAT | O_APPEND, 0640));
    size_ = 0;
  }
  RETURN_IF_ERROR(base::WriteFully(fd_.get(), line.data(), line.size()));
  size_ += static_cast<int64_t>(line.size());
  return Status::Ok();
}

Status JsonLogWriter::Write(std::string_view stream, std::string_view data) {
  std::string& partial = partial_[stream == "stderr" ? 1 : 0];
  partial.append(data);
  size_t start = 0;
  for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    RETURN_IF_ERROR(Emit(stream, std::string_view(partial).substr(start, nl + 1 - start)));
  }
  partial.erase(0, start);
  if (partial.size() >= kMaxPartial) {
    RETURN_IF_ERROR(Emit(stream, partial));
    partial.clear();
  }
  return Status::Ok();
}

Status JsonLogWriter::EmitPartial() {
  for (int i = 0; i < 2; ++i) {
    if (partial_[i].empty()) continue;
    RETURN_IF_ERROR(Emit(i == 0 ? "stdout" : "stderr", partial_[i]));
    partial_[i].clear();
  }
  return Status::Ok();
}

Status JsonLogWriter::Flush() {
  RETURN_IF_ERROR(EmitPartial());
  return ::fsync(fd_.get()) == 0 ? Status::Ok() : Status::Errno("fsync " + path_);
}

std::optional<LogEntry> ParseLogLine(std::string_view line) {
  try {
    auto j = nlohmann::json::parse(line);
    return LogEntry{j.at("stream").get<std::string>(), j.at("log").get<std::string>(),
                    j.value("time", "")};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

JsonLogReader JsonLogReader::Open(const std::string& path, bool from_end) {
  JsonLogReader reader(path);
  if (!from_end) {
    auto rotated = base::OpenFile(path + ".1", O_RDONLY);
    if (rotated.ok()) {
      reader.fd_ = std::move(*rotated);
      reader.reading_rotated_ = true;
      return reader;
    }
  }
  auto fd = base::OpenFile(path, O_RDONLY);
  if (fd.ok()) {
    struct stat st {};
    ::fstat(fd->get(), &st);
    reader.inode_ = st.st_ino;
    if (from_end) ::lseek(fd->get(), 0, SEEK_END);
    reader.fd_ = std::move(*fd);
  }
  return reader;
}

// Reads more into buffer_; at end of the current file, moves to the live file when the
// one being read is no longer it (rotated). Returns whether anything was added.
bool JsonLogReader::Refill() {
  char buf[65536];
  if (fd_) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    }
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return false;
  if (fd_ && !reading_rotated_ && st.st_ino == inode_) return false;
  auto fd = base::OpenFile(path_, O_RDONLY);
  if (!fd.ok()) return false;
  fd_ = std::move(*fd);
  inode_ = st.st_ino;
  reading_rotated_ = false;
  buffer_.clear();  // an unterminated tail of a rotated file cannot be completed
  return Refill();
}

std::optional<LogEntry> JsonLogReader::Next() {
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (auto entry = ParseLogLine(line)) return entry;
      continue;
    }
    if (!Refill()) return std::nullopt;
  }
}

}  // namespace hull::engine
