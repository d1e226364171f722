#include "rootfs-builder/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "rootfs-builder/manifest.h"
#include "rootfs-builder/safe_path.h"

namespace hull::rootfs {

using base::Result;
using base::Status;
using base::UniqueFd;
using nlohmann::json;

namespace {

std::string UniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t seed = std::random_device{}();
  return std::to_string(::getpid()) + "-" + std::to_string(seed % 100000) + "-" +
         std::to_string(counter++);
}

Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos == path.size() || path[pos] == '/') {
      std::string prefix = path.substr(0, pos);
      if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
        return Status::Errno("creating " + prefix);
      }
    }
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  ASSIGN_OR_RETURN(UniqueFd fd, base::OpenFile(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0) return Status::Errno("fsync " + dir);
  return Status::Ok();
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (struct dirent* de = ::readdir(dir)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(dir);
  return names;
}

std::string Dirname(const std::string& path) { return path.substr(0, path.rfind('/')); }

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp-" + UniqueSuffix();
  ASSIGN_OR_RETURN(UniqueFd fd, base::OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
  Status s = base::WriteFully(fd.get(), data.data(), data.size());
  if (s.ok() && ::fsync(fd.get()) != 0) s = Status::Errno("fsync " + tmp);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Status::Errno("rename " + tmp);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s.WithContext("writing " + path);
  }
  return FsyncDir(Dirname(path));
}

BlobWriter::BlobWriter(std::string tmp_path, UniqueFd fd, std::string blob_dir)
    : tmp_path_(std::move(tmp_path)), fd_(std::move(fd)), blob_dir_(std::move(blob_dir)) {}

BlobWriter::~BlobWriter() {
  if (!committed_ && !tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Status BlobWriter::Write(const void* data, size_t size) {
  hash_.Update(data, size);
  return base::WriteFully(fd_.get(), data, size);
}

Result<Digest> BlobWriter::Commit(const Digest& expect, int64_t expect_size) {
  uint64_t size = hash_.bytes();
  Digest got = hash_.Finish();
  if (expect_size >= 0 && static_cast<uint64_t>(expect_size) != size) {
    return Status::Error("blob " + (expect.empty() ? got.str() : expect.str()) +
                         ": size mismatch: expected " + std::to_string(expect_size) +
                         " bytes, got " + std::to_string(size));
  }
  if (!expect.empty()) RETURN_IF_ERROR(CheckDigest("blob", expect, got));
  RETURN_IF_ERROR(Store(got));
  return got;
}

Result<Digest> BlobWriter::CommitWritten(const Digest& digest, int64_t size) {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return Status::Errno("stat blob");
  if (st.st_size != size) return Status::Error("blob " + digest.str() + ": size mismatch");
  RETURN_IF_ERROR(Store(digest));
  return digest;
}

Status BlobWriter::Store(const Digest& digest) {
  if (::fsync(fd_.get()) != 0) return Status::Errno("fsync blob");
  std::string final_path = blob_dir_ + "/" + std::string(digest.hex());
  if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    return Status::Errno("storing blob " + digest.str());
  }
  committed_ = true;
  return FsyncDir(blob_dir_);
}

Result<ContentStore> ContentStore::Open(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  for (const char* sub : {"/blobs/sha256", "/tmp", "/rootfs"}) {
    RETURN_IF_ERROR(MakeDirs(root + sub).WithContext("opening image store"));
  }
  ContentStore store(std::move(root));
  store.RemoveStaleTemporaries();
  return store;
}

void ContentStore::RemoveStaleTemporaries() const {
  // Temporaries are named "<what>-<pid>-..."; those of processes that are gone are
  // what an interrupted pull, load or build left.
  for (const auto& name : ListDir(root_ + "/tmp")) {
    size_t dash = name.find('-');
    if (dash == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + dash + 1));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) (void)RemoveTree(root_ + "/tmp/" + name);
  }
}

Result<StoreLock> ContentStore::Lock(int op) const {
  std::string path = root_ + "/store.lock";
  ASSIGN_OR_RETURN(UniqueFd fd, base::OpenFile(path, O_RDWR | O_CREAT, 0600));
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) return Status::Errno("locking " + path);
  }
  return StoreLock(std::move(fd));
}
Result<StoreLock> ContentStore::LockShared() const { return Lock(LOCK_SH); }
Result<StoreLock> ContentStore::LockExclusive() const { return Lock(LOCK_EX); }

std::string ContentStore::BlobPath(const Digest& d) const {
  return root_ + "/blobs/sha256/" + std::string(d.hex());
}

bool ContentStore::HasBlob(const Digest& d) const {
  struct stat st {};
  return ::stat(BlobPath(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<BlobWriter> ContentStore::NewBlob() const {
  std::string tmp = root_ + "/tmp/blob-" + UniqueSuffix();
  ASSIGN_OR_RETURN(UniqueFd fd, base::OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
  return BlobWriter(tmp, std::move(fd), root_ + "/blobs/sha256");
}

Result<Digest> ContentStore::PutBlob(std::string_view data, const Digest& expect) const {
  Digest digest = Sha256Of(data);
  if (!expect.empty()) RETURN_IF_ERROR(CheckDigest("blob", expect, digest));
  if (HasBlob(digest)) return digest;  // content-addressed: the same bytes are there
  ASSIGN_OR_RETURN(BlobWriter w, NewBlob());
  RETURN_IF_ERROR(w.Write(data.data(), data.size()));
  return w.Commit(expect);
}

Result<Digest> ContentStore::AdoptFile(const std::string& path, const Digest& expect,
                                       int64_t expect_size) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Errno("blob " + expect.str());
  if (expect_size >= 0 && st.st_size != expect_size) {
    return Status::Error("blob " + expect.str() + ": size mismatch: expected " +
                         std::to_string(expect_size) + " bytes, got " +
                         std::to_string(st.st_size));
  }
  ASSIGN_OR_RETURN(Digest got, Sha256OfFile(path));
  RETURN_IF_ERROR(CheckDigest("blob", expect, got));
  if (::rename(path.c_str(), BlobPath(got).c_str()) != 0) {
    return Status::Errno("storing blob " + got.str());
  }
  return got;
}

Result<std::string> ContentStore::ReadBlob(const Digest& d, size_t max_size) const {
  ASSIGN_OR_RETURN(std::string data, base::ReadFileToString(BlobPath(d), max_size));
  RETURN_IF_ERROR(CheckDigest("stored blob", d, Sha256Of(data)));
  return data;
}

Result<std::string> ContentStore::MakeTempDir(std::string_view prefix) const {
  std::string path = root_ + "/tmp/" + std::string(prefix) + "-" + UniqueSuffix();
  if (::mkdir(path.c_str(), 0700) != 0) return Status::Errno("creating " + path);
  return path;
}

std::string ContentStore::RootfsDir(const Digest& chain_id) const {
  return root_ + "/rootfs/" + std::string(chain_id.hex());
}

Result<std::vector<ImageRecord>> ContentStore::ListImages() const {
  std::vector<ImageRecord> images;
  auto text = base::ReadFileToString(root_ + "/images.json");
  if (!text.ok()) {
    if (text.status().error_number() == ENOENT || ::access((root_ + "/images.json").c_str(), F_OK) != 0) {
      return images;
    }
    return text.status();
  }
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return Status::Error(root_ + "/images.json is corrupt");
  }
  try {
    for (const json& r : j) {
      ImageRecord rec;
      rec.name = r.at("name").get<std::string>();
      auto digest = [&](const char* key) -> Digest {
        std::string s = r.value(key, "");
        auto d = Digest::Parse(s);
        return d.ok() ? *d : Digest();
      };
      rec.manifest = digest("manifest");
      rec.config = digest("config");
      rec.chain_id = digest("chain_id");
      rec.index = digest("index");
      rec.size = r.value("size", int64_t{0});
      rec.created = r.value("created", "");
      images.push_back(std::move(rec));
    }
  } catch (const json::exception& e) {
    return Status::Error(root_ + "/images.json is corrupt: " + e.what());
  }
  return images;
}

Result<ImageRecord> ContentStore::FindImage(std::string_view name) const {
  ASSIGN_OR_RETURN(std::vector<ImageRecord> images, ListImages());
  for (auto& r : images) {
    if (r.name == name) return r;
  }
  return Status::Error("no such image: " + std::string(name));
}

Status ContentStore::WriteImages(const std::vector<ImageRecord>& images) const {
  json j = json::array();
  for (const auto& r : images) {
    j.push_back({{"name", r.name},
                 {"manifest", r.manifest.str()},
                 {"config", r.config.str()},
                 {"chain_id", r.chain_id.str()},
                 {"index", r.index.str()},
                 {"size", r.size},
                 {"created", r.created}});
  }
  return WriteFileAtomically(root_ + "/images.json", j.dump(2));
}

Status ContentStore::PutImage(const ImageRecord& record) const {
  ASSIGN_OR_RETURN(UniqueFd lock, base::OpenFile(root_ + "/images.lock", O_RDWR | O_CREAT, 0600));
  if (::flock(lock.get(), LOCK_EX) != 0) return Status::Errno("locking images.lock");
  ASSIGN_OR_RETURN(std::vector<ImageRecord> images, ListImages());
  bool replaced = false;
  for (auto& r : images) {
    if (r.name == record.name) {
      if (r.manifest == record.manifest && r.index == record.index) return Status::Ok();
      r = record;
      replaced = true;
    }
  }
  if (!replaced) images.push_back(record);
  return WriteImages(images);
}

Result<bool> ContentStore::RemoveImage(std::string_view name) const {
  ASSIGN_OR_RETURN(UniqueFd lock, base::OpenFile(root_ + "/images.lock", O_RDWR | O_CREAT, 0600));
  if (::flock(lock.get(), LOCK_EX) != 0) return Status::Errno("locking images.lock");
  ASSIGN_OR_RETURN(std::vector<ImageRecord> images, ListImages());
  size_t before = images.size();
  std::erase_if(images, [&](const ImageRecord& r) { return r.name == name; });
  if (images.size() == before) return false;
  RETURN_IF_ERROR(WriteImages(images));
  return true;
}

Status ContentStore::CollectGarbage() const {
  ASSIGN_OR_RETURN(std::vector<ImageRecord> images, ListImages());
  std::set<std::string> blobs, chains;
  for (const auto& r : images) {
    for (const Digest* d : {&r.manifest, &r.config, &r.index}) {
      if (!d->empty()) blobs.insert(std::string(d->hex()));
    }
    chains.insert(std::string(r.chain_id.hex()));
    auto text = base::ReadFileToString(BlobPath(r.manifest));
    if (!text.ok()) continue;
    auto m = ParseManifest(*text);
    if (!m.ok()) continue;
    for (const auto& l : m->layers) blobs.insert(std::string(l.digest.hex()));
  }
  for (const auto& n : ListDir(root_ + "/blobs/sha256")) {
    if (!blobs.count(n)) RETURN_IF_ERROR(RemoveTree(root_ + "/blobs/sha256/" + n));
  }
  for (const auto& n : ListDir(root_ + "/rootfs")) {
    if (!chains.count(n)) RETURN_IF_ERROR(RemoveTree(root_ + "/rootfs/" + n));
  }
  for (const auto& n : ListDir(root_ + "/tmp")) RETURN_IF_ERROR(RemoveTree(root_ + "/tmp/" + n));
  return Status::Ok();
}

}  // namespace hull::rootfs
