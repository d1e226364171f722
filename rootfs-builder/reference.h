// Image references as Docker reads them: `busybox` is
// `docker.io/library/busybox:latest`; `host:5000/a/b@sha256:...` names a registry, a
// repository and a digest. Parsing and normalization only; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace hull::rootfs {

struct Reference {
  std::string domain;      // "docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/busybox"
  std::string tag;         // "latest"; empty when only a digest was given
  std::string digest;      // "sha256:..."; empty unless given

  // "docker.io/library/busybox:latest" or ".../busybox@sha256:..." (both when both).
  std::string str() const;
  // domain/repository without tag or digest.
  std::string name() const { return domain + "/" + repository; }
  // The host to contact: Docker Hub's registry for docker.io.
  std::string registry_host() const;
  // Whether the host is 127.0.0.0/8, ::1 or localhost (spoken to over plain HTTP).
  bool is_loopback() const;
};

base::Result<Reference> ParseReference(std::string_view text);

}  // namespace hull::rootfs
