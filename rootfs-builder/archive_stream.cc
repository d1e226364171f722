#include "rootfs-builder/archive_stream.h"

#include <unistd.h>

#include <cerrno>

namespace hull::rootfs {

using base::Result;
using base::Status;

la_ssize_t HashedTarStream::ReadFd(struct archive* a, void* self, const void** buf) {
  auto* s = static_cast<HashedTarStream*>(self);
  for (;;) {
    ssize_t n = ::read(s->fd_, s->fd_buf_.data(), s->fd_buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s->io_error_ = std::string("read: ") + strerror(errno);
      archive_set_error(a, errno, "%s", s->io_error_.c_str());
      return -1;
    }
    s->blob_hash_.Update(s->fd_buf_.data(), static_cast<size_t>(n));
    *buf = s->fd_buf_.data();
    return n;
  }
}

la_ssize_t HashedTarStream::ReadInner(struct archive* a, void* self, const void** buf) {
  auto* s = static_cast<HashedTarStream*>(self);
  auto n = s->ReadRaw(s->raw_buf_.data(), s->raw_buf_.size());
  if (!n.ok()) {
    archive_set_error(a, EIO, "%s", n.status().message().c_str());
    return -1;
  }
  *buf = s->raw_buf_.data();
  return static_cast<la_ssize_t>(*n);
}

Status HashedTarStream::Open(int fd, bool tar) {
  fd_ = fd;
  outer_.reset(archive_read_new());
  archive_read_support_filter_all(outer_.get());
  archive_read_support_format_raw(outer_.get());
  if (archive_read_open(outer_.get(), this, nullptr, &ReadFd, nullptr) != ARCHIVE_OK) {
    return Status::Error("opening layer: " + ErrorText(outer_.get()));
  }
  struct archive_entry* raw_entry = nullptr;
  int r = archive_read_next_header(outer_.get(), &raw_entry);
  if (r == ARCHIVE_EOF) {
    outer_eof_ = true;  // an empty stream: a layer with nothing in it
  } else if (r != ARCHIVE_OK) {
    return Status::Error("reading layer: " + ErrorText(outer_.get()));
  }
  if (!tar) return Status::Ok();
  inner_.reset(archive_read_new());
  archive_read_support_format_tar(inner_.get());
  archive_read_support_format_empty(inner_.get());
  if (archive_read_open(inner_.get(), this, nullptr, &ReadInner, nullptr) != ARCHIVE_OK) {
    return Status::Error("reading layer tar: " + ErrorText(inner_.get()));
  }
  return Status::Ok();
}

Result<size_t> HashedTarStream::ReadRaw(void* buf, size_t size) {
  if (outer_eof_) return size_t{0};
  la_ssize_t n = archive_read_data(outer_.get(), buf, size);
  if (n < 0) return Status::Error("decompressing layer: " + ErrorText(outer_.get()));
  if (n == 0) outer_eof_ = true;
  tar_hash_.Update(buf, static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

Status HashedTarStream::Drain() {
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, ReadRaw(raw_buf_.data(), raw_buf_.size()));
    if (n == 0) break;
  }
  // The filter may stop before the file's end (trailing garbage): hash that too.
  for (;;) {
    ssize_t n = ::read(fd_, fd_buf_.data(), fd_buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("reading layer");
    if (n == 0) break;
    blob_hash_.Update(fd_buf_.data(), static_cast<size_t>(n));
  }
  return Status::Ok();
}

std::string HashedTarStream::ErrorText(struct archive* a) const {
  if (!io_error_.empty()) return io_error_;
  const char* e = archive_error_string(a);
  if (e == nullptr && a != outer_.get() && outer_) e = archive_error_string(outer_.get());
  return e != nullptr ? e : "unknown archive error";
}

}  // namespace hull::rootfs
