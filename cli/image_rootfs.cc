// `hull image rootfs REF --format dir|ext4 -o PATH`: export the image's built root
// filesystem — a copy of the unpacked tree, or of the read-only ext4 image. The output
// appears at PATH only once complete.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/unique_fd.h"
#include "cli/command.h"
#include "rootfs-builder/directory_tar.h"
#include "rootfs-builder/image_builder.h"
#include "rootfs-builder/layer_applier.h"
#include "rootfs-builder/safe_path.h"

namespace hull::cli {

namespace {

using base::Status;

Status CopyFile(const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(base::UniqueFd in, base::OpenFile(from, O_RDONLY));
  ASSIGN_OR_RETURN(base::UniqueFd out, base::OpenFile(to, O_WRONLY | O_CREAT | O_EXCL, 0644));
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return Status::Errno("stat " + from);
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Errno("copying to " + to);
    left -= n;
  }
  if (::fsync(out.get()) != 0) return Status::Errno("fsync " + to);
  return Status::Ok();
}

Status CopyTree(const rootfs::ContentStore& store, const std::string& tree, const std::string& to) {
  ASSIGN_OR_RETURN(std::string tmp, store.MakeTempDir("export"));
  std::string tar = tmp + "/tree.tar";
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(tar, O_RDWR | O_CREAT | O_EXCL, 0600));
    RETURN_IF_ERROR(rootfs::WriteDirectoryTar(tree, fd.get()).status());
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) return Status::Errno("seek");
    if (::mkdir(to.c_str(), 0755) != 0) return Status::Errno("creating " + to);
    return rootfs::ApplyLayer(fd.get(), {}, to).status();
  }();
  (void)rootfs::RemoveTree(tmp);
  return s;
}

}  // namespace

int RunImageRootfs(const std::vector<std::string>& args) {
  po::options_description options("Options");
  std::string ref, format, output;
  options.add_options()
      ("image", po::value(&ref)->required(), "image")
      ("format", po::value(&format)->default_value("dir"), "dir or ext4")
      ("output,o", po::value(&output)->required(), "path to create (must not exist)");
  po::positional_options_description positional;
  positional.add("image", 1);
  po::variables_map vm;
  CommonOptions common;
  if (auto exit = ParseCommandLine(args, "hull image rootfs IMAGE --format dir|ext4 -o PATH",
                                   options, positional, vm, common)) {
    return *exit;
  }
  if (format != "dir" && format != "ext4") {
    std::fprintf(stderr, "hull: --format must be dir or ext4, not \"%s\"\n", format.c_str());
    return kExitUsage;
  }
  struct stat st {};
  if (::lstat(output.c_str(), &st) == 0) return Fail(Status::Error(output + " already exists"));
  auto store = OpenStore(common);
  if (!store.ok()) return Fail(store.status());
  auto lock = store->LockShared();
  if (!lock.ok()) return Fail(lock.status());
  auto record = FindImage(*store, ref);
  if (!record.ok()) return Fail(record.status());
  auto image = rootfs::ReadStoredImage(*store, record->manifest);
  if (!image.ok()) return Fail(image.status());
  auto built = rootfs::EnsureRootfs(*store, *image, format == "ext4");
  if (!built.ok()) return Fail(built.status());
  std::string tmp = output + ".hull-tmp-" + std::to_string(::getpid());
  Status s = format == "ext4" ? CopyFile(built->ext4, tmp) : CopyTree(*store, built->tree, tmp);
  if (s.ok() && ::rename(tmp.c_str(), output.c_str()) != 0) s = Status::Errno("renaming to " + output);
  if (!s.ok()) {
    (void)rootfs::RemoveTree(tmp);
    return Fail(s);
  }
  return 0;
}

}  // namespace hull::cli
