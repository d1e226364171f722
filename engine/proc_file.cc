#include "engine/proc_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "base/unique_fd.h"

namespace hull::engine {

base::Result<std::string> ReadProcFile(const std::string& path, size_t max_size) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_RDONLY));
  std::string out;
  char buf[4096];
  while (out.size() < max_size) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::Status::Errno("reading " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int FirstChildOf(int pid) {
  if (pid <= 0) return 0;
  auto text = ReadProcFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children", 4096);
  return text.ok() ? std::atoi(text->c_str()) : 0;
}

bool ProcessMentions(int pid, const std::string& needle) {
  if (pid <= 0) return false;
  auto cmdline = ReadProcFile("/proc/" + std::to_string(pid) + "/cmdline");
  return cmdline.ok() && cmdline->find(needle) != std::string::npos;
}

}  // namespace hull::engine
