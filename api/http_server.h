// HttpServer: hulld's HTTP/1.1 listener (Boost.Beast on Asio, synchronous, one thread per
// connection) on a Unix socket and, optionally, on a loopback TCP port that requires
// "Authorization: Bearer TOKEN". Each request is parsed into an HttpRequest and handed to
// the handler together with a ResponseWriter for its connection. The listener threads
// and connection threads are owned here; Stop() closes the listeners (connections in
// flight end with the process).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "base/status.h"

namespace hull::api {

using Handler = std::function<void(const HttpRequest&, ResponseWriter&)>;

struct ServerOptions {
  std::string unix_path;          // "" → no Unix socket
  int unix_mode = 0600;
  int unix_gid = -1;              // group owner of the socket, or -1
  std::string tcp_address;        // "127.0.0.1:PORT", "" → none; loopback only
  std::string token;              // required on TCP (non-empty when tcp_address is set)
};

class HttpServer {
 public:
  static base::Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                         Handler handler);
  ~HttpServer();
  void Stop();
  int tcp_port() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "%2F" → "/", "+" kept (Docker's clients encode spaces as %20).
std::string PercentDecode(std::string_view text);

}  // namespace hull::api
