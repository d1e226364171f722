#include "bench/qemu_initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <memory>

#include "base/unique_fd.h"
#include "bench/runtimes.h"

namespace hull::bench {

namespace {

namespace fs = std::filesystem;

struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// One entry; `data` is a regular file's contents or a symlink's target.
base::Status Add(archive* a, const std::string& name, mode_t mode, const std::string& data,
                 dev_t rdev = 0) {
  std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_mode(e.get(), mode);
  archive_entry_set_nlink(e.get(), S_ISDIR(mode) ? 2 : 1);
  bool link = S_ISLNK(mode);
  if (link) archive_entry_set_symlink(e.get(), data.c_str());
  archive_entry_set_size(e.get(), link ? 0 : static_cast<la_int64_t>(data.size()));
  if (rdev) archive_entry_set_rdev(e.get(), rdev);
  if (archive_write_header(a, e.get()) != ARCHIVE_OK ||
      (!link && !data.empty() &&
       archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())))
    return base::Status::Error("initramfs: " + name + ": " + archive_error_string(a));
  return base::Status::Ok();
}

}  // namespace

std::string InitScript(const std::vector<std::string>& command) {
  std::string line;
  for (const auto& arg : command) line += (line.empty() ? "" : " ") + ShellQuote(arg);
  return "#!/bin/sh\n"
         "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
         "mount -t proc proc /proc 2>/dev/null\n"
         "mount -t devtmpfs dev /dev 2>/dev/null\n"
         "cd /\n" +
         line + "\necho " + kExitLine + "$?\nreboot -f\n";
}

base::Status WriteTreeInitramfs(const std::string& path, const std::string& tree,
                                const std::vector<std::string>& command) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  std::unique_ptr<archive, WriterDeleter> a(archive_write_new());
  if (archive_write_set_format_cpio_newc(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
      archive_write_open_fd(a.get(), fd.get()) != ARCHIVE_OK)
    return base::Status::Error(std::string("initramfs: ") + archive_error_string(a.get()));
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(tree, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string name = it->path().lexically_relative(tree).string();
    if (name == "init") continue;
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0) return base::Status::Errno("lstat " + it->path().string());
    std::string data;
    if (S_ISLNK(st.st_mode)) {
      data = fs::read_symlink(it->path(), ec).string();
    } else if (S_ISREG(st.st_mode)) {
      ASSIGN_OR_RETURN(data, base::ReadFileToString(it->path().string(), 256u << 20));
    } else if (!S_ISDIR(st.st_mode)) {
      continue;  // devices and fifos: /dev is a devtmpfs in the guest
    }
    RETURN_IF_ERROR(Add(a.get(), name, st.st_mode, data));
  }
  if (ec) return base::Status::Error("reading " + tree + ": " + ec.message());
  for (const char* dir : {"dev", "proc", "tmp"}) {
    if (!fs::exists(tree + "/" + dir)) RETURN_IF_ERROR(Add(a.get(), dir, S_IFDIR | 0755, ""));
  }
  // The kernel opens /dev/console for init's stdio before anything is mounted.
  RETURN_IF_ERROR(Add(a.get(), "dev/console", S_IFCHR | 0600, "", makedev(5, 1)));
  RETURN_IF_ERROR(Add(a.get(), "init", S_IFREG | 0755, InitScript(command)));
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return base::Status::Error(std::string("initramfs: ") + archive_error_string(a.get()));
  return base::Status::Ok();
}

}  // namespace hull::bench
