// A client of the Registry HTTP API v2 (distribution spec) for one repository:
// manifests and blobs, anonymous or with basic auth or bearer tokens (the
// WWW-Authenticate challenge → token endpoint flow Docker Hub uses). Loopback
// registries are spoken to over plain HTTP, as Docker does; others over HTTPS unless
// listed as insecure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "rootfs-builder/http_client.h"
#include "rootfs-builder/reference.h"

namespace hull::rootfs {

struct RegistryOptions {
  std::string username;  // for basic auth and for the token endpoint
  std::string password;
  std::vector<std::string> insecure_registries;  // "host:port": plain HTTP
  long stall_timeout_s = 30;
};

struct FetchedManifest {
  std::string media_type;
  std::string body;
};

class RegistryClient {
 public:
  RegistryClient(Reference ref, RegistryOptions options);

  // `reference` is a tag or a digest.
  base::Result<FetchedManifest> GetManifest(const std::string& reference);

  // Streams a blob to `sink`; `progress` gets (bytes so far) as they arrive.
  base::Status GetBlob(const std::string& digest, const HttpClient::Sink& sink);

  const std::string& base_url() const { return base_url_; }

 private:
  base::Result<HttpResponse> Send(const std::string& path, std::vector<std::string> headers,
                                  const HttpClient::Sink* sink, size_t max_body);
  base::Status Authenticate(const std::string& challenge);
  base::Status ErrorFor(const HttpResponse& response, const std::string& what) const;

  Reference ref_;
  RegistryOptions options_;
  HttpClient http_;
  std::string base_url_;       // "http://127.0.0.1:5000/v2/<repo>"
  std::string authorization_;  // current Authorization header value
};

}  // namespace hull::rootfs
