#include "rootfs-builder/reference.h"

#include "rootfs-builder/digest.h"

namespace hull::rootfs {

using base::Result;
using base::Status;

namespace {

constexpr std::string_view kDefaultDomain = "docker.io";

bool IsPathComponent(std::string_view c) {
  // distribution's reference grammar: [a-z0-9]+ separated by ".", "_", "__" or "-"+.
  if (c.empty() || !isalnum(static_cast<unsigned char>(c.front())) ||
      !isalnum(static_cast<unsigned char>(c.back()))) {
    return false;
  }
  for (char ch : c) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsTag(std::string_view t) {
  if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') return false;
  for (char ch : t) {
    if (!isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::registry_host() const {
  return domain == kDefaultDomain ? "registry-1.docker.io" : domain;
}

bool Reference::is_loopback() const {
  std::string host = domain;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<Reference> ParseReference(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::Error("invalid image reference \"" + std::string(text) + "\": " +
                         std::string(why));
  };
  if (text.empty()) return bad("empty");
  Reference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto d = Digest::Parse(rest.substr(at + 1));
    if (!d.ok()) return bad(d.status().message());
    ref.digest = d->str();
    rest = rest.substr(0, at);
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    if (!IsTag(ref.tag)) return bad("malformed tag \"" + ref.tag + "\"");
    rest = rest.substr(0, colon);
  }
  auto first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  if (first_slash != std::string_view::npos &&
      (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
       first == "localhost")) {
    ref.domain = std::string(first);
    rest = rest.substr(first_slash + 1);
  } else {
    ref.domain = std::string(kDefaultDomain);
  }
  if (ref.domain == "index.docker.io") ref.domain = std::string(kDefaultDomain);
  if (ref.domain == kDefaultDomain && rest.find('/') == std::string_view::npos) {
    ref.repository = "library/" + std::string(rest);
  } else {
    ref.repository = std::string(rest);
  }
  std::string_view repo = ref.repository;
  while (true) {
    auto slash = repo.find('/');
    if (!IsPathComponent(repo.substr(0, slash))) {
      return bad("repository name must be lowercase letters, digits and separators");
    }
    if (slash == std::string_view::npos) break;
    repo = repo.substr(slash + 1);
  }
  if (ref.repository.size() > 255) return bad("repository name too long");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace hull::rootfs
