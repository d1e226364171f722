#include "cli/daemon_images.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/daemon_run.h"
#include "rootfs-builder/reference.h"

namespace hull::cli {

namespace {

using nlohmann::json;

// A request with a file as its body, whose answer is Docker's JSON lines ({"stream"} or
// {"error"}); prints the streams on stdout.
int SendArchive(const Daemon& d, const std::string& target, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ClientError(base::Status::Errno(path));
  if (S_ISDIR(st.st_mode)) {
    std::fprintf(stderr,
                 "hull: %s is a directory; hulld takes a tar archive (tar -C DIR -cf FILE.tar .), or run "
                 "hull with --root DIR to use a local store directly\n",
                 path.c_str());
    return kExitFailure;
  }
  auto c = api::ClientConnection::Connect(d.socket);
  if (!c.ok()) return ClientError(c.status());
  if (auto s = c->SendFile("POST", "/v1.41" + target, path, "application/x-tar"); !s.ok()) return ClientError(s);
  auto status = c->ReadHeader();
  if (!status.ok()) return ClientError(status.status());
  auto body = c->ReadAll();
  if (!body.ok()) return ClientError(body.status());
  if (*status != 200) return DaemonError(api::ClientResponse{*status, *body});
  int exit = 0;
  for (size_t start = 0; start < body->size();) {
    size_t nl = body->find('\n', start);
    json j = ParseJson(body->substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    start = nl == std::string::npos ? body->size() : nl + 1;
    if (!j.is_object()) continue;
    if (j.contains("error")) {
      std::fprintf(stderr, "Error response from daemon: %s\n", j.value("error", "").c_str());
      exit = kExitFailure;
    } else if (j.contains("stream")) {
      std::printf("%s", j.value("stream", "").c_str());
    } else if (j.contains("status")) {
      std::printf("%s\n", j.value("status", "").c_str());
    }
  }
  return exit;
}

}  // namespace

int DaemonImages(const Daemon& d, bool quiet, const std::string& filters_query) {
  auto r = Call(d, "GET", "/images/json?all=0" + filters_query);
  if (!r.ok()) return ClientError(r.status());
  json list = ParseJson(r->body);
  if (r->status != 200 || !list.is_array()) return DaemonError(*r);
  if (!quiet) std::printf("%-40s %-12s %-14s %-22s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
  for (const auto& image : list) {
    std::string id = image.value("Id", "");
    if (id.rfind("sha256:", 0) == 0) id = id.substr(7);
    id = id.substr(0, 12);
    if (quiet) {
      std::printf("%s\n", id.c_str());
      continue;
    }
    auto tags = image.value("RepoTags", json::array());
    std::string repo_tag = tags.empty() ? "<none>:<none>" : tags[0].get<std::string>();
    size_t colon = repo_tag.rfind(':');
    std::string repo = repo_tag.substr(0, colon), tag = colon == std::string::npos ? "<none>" : repo_tag.substr(colon + 1);
    char created[32] = "";
    std::time_t t = image.value("Created", int64_t{0});
    std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S", std::gmtime(&t));
    std::printf("%-40s %-12s %-14s %-22s %s\n", repo.c_str(), tag.c_str(), id.c_str(), created,
                HumanSize(image.value("Size", int64_t{0})).c_str());
  }
  return 0;
}

int DaemonPullCommand(const Daemon& d, const std::string& reference, bool quiet) {
  if (!DaemonPull(d, reference, quiet)) return kExitFailure;
  auto ref = rootfs::ParseReference(reference);
  std::printf("%s\n", ref.ok() ? ref->str().c_str() : reference.c_str());
  return 0;
}

int DaemonRmi(const Daemon& d, const std::vector<std::string>& refs) {
  int exit = 0;
  for (const auto& ref : refs) {
    auto r = Call(d, "DELETE", "/images/" + UrlEncode(ref));
    if (!r.ok()) return ClientError(r.status());
    json j = ParseJson(r->body);
    if (r->status != 200 || !j.is_array()) {
      exit = DaemonError(*r);
      continue;
    }
    for (const auto& item : j) {
      for (const auto& [key, value] : item.items()) std::printf("%s: %s\n", key.c_str(), value.get<std::string>().c_str());
    }
  }
  return exit;
}

int DaemonLoad(const Daemon& d, const std::string& input) {
  return SendArchive(d, "/images/load", input);
}

int DaemonImport(const Daemon& d, const std::string& source, const std::string& reference) {
  std::string repo = reference, tag;
  size_t colon = reference.rfind(':');
  if (colon != std::string::npos && reference.find('/', colon) == std::string::npos) {
    repo = reference.substr(0, colon);
    tag = reference.substr(colon + 1);
  }
  return SendArchive(d, "/images/create?fromSrc=-&repo=" + UrlEncode(repo) + (tag.empty() ? "" : "&tag=" + UrlEncode(tag)),
                     source);
}

}  // namespace hull::cli
