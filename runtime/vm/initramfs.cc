#include "runtime/vm/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <memory>

#include "base/unique_fd.h"

namespace hull::runtime::vm {
namespace {

struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

base::Status Add(archive* a, const char* name, mode_t type_and_mode, const std::string& data,
                 dev_t rdev = 0) {
  std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name);
  archive_entry_set_mode(e.get(), type_and_mode);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  archive_entry_set_nlink(e.get(), S_ISDIR(type_and_mode) ? 2 : 1);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  if (rdev) archive_entry_set_rdev(e.get(), rdev);
  if (archive_write_header(a, e.get()) != ARCHIVE_OK ||
      (!data.empty() &&
       archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())))
    return base::Status::Error(std::string("initramfs: ") + name + ": " + archive_error_string(a));
  return base::Status::Ok();
}

}  // namespace

base::Status WriteInitramfs(const std::string& path, const std::string& init_binary,
                            const std::string& spec_json) {
  ASSIGN_OR_RETURN(std::string init, base::ReadFileToString(init_binary));
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  std::unique_ptr<archive, WriterDeleter> a(archive_write_new());
  if (archive_write_set_format_cpio_newc(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
      archive_write_open_fd(a.get(), fd.get()) != ARCHIVE_OK)
    return base::Status::Error(std::string("initramfs: ") + archive_error_string(a.get()));
  for (const char* dir : {"dev", "proc", "sys", "mnt", "mnt/image", "mnt/rw", "mnt/root", "hull"})
    RETURN_IF_ERROR(Add(a.get(), dir, S_IFDIR | 0755, ""));
  // The kernel opens /dev/console for init's stdio before devtmpfs is mounted.
  RETURN_IF_ERROR(Add(a.get(), "dev/console", S_IFCHR | 0600, "", makedev(5, 1)));
  RETURN_IF_ERROR(Add(a.get(), "init", S_IFREG | 0755, init));
  RETURN_IF_ERROR(Add(a.get(), "hull/spec.json", S_IFREG | 0600, spec_json));
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return base::Status::Error(std::string("initramfs: ") + archive_error_string(a.get()));
  return base::Status::Ok();
}

}  // namespace hull::runtime::vm
