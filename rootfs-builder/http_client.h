// A small HTTP client over libcurl for the registry client: one request at a time,
// bodies into memory (bounded) or streamed to a sink, timeouts for registries that stop
// answering. No HTTP types leave rootfs-builder.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::rootfs {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool head = false;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;                            // unless streamed
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpOptions {
  long connect_timeout_s = 15;
  long stall_timeout_s = 30;  // abort when no byte arrives for this long
  bool verify_tls = true;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options) : options_(options) {}

  // The body is kept in memory, at most max_body bytes.
  base::Result<HttpResponse> Fetch(const HttpRequest& request, size_t max_body = 16u << 20);

  // For 2xx answers the body goes to `sink` (an error from it aborts the transfer);
  // for others it is kept in the response (bounded) for the error message.
  using Sink = std::function<base::Status(const char* data, size_t size)>;
  base::Result<HttpResponse> Stream(const HttpRequest& request, const Sink& sink);

 private:
  base::Result<HttpResponse> Perform(const HttpRequest& request, const Sink* sink,
                                     size_t max_body);
  HttpOptions options_;
};

// "Basic <base64(user:password)>".
std::string BasicAuthorization(const std::string& user, const std::string& password);

// Escapes a query-string value.
std::string UrlEscape(const std::string& text);

}  // namespace hull::rootfs
