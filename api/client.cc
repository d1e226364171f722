#include "api/client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdlib>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hull::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string DefaultSocketPath() {
  for (const char* var : {"HULL_HOST", "DOCKER_HOST"}) {
    const char* v = std::getenv(var);
    if (v && std::string(v).rfind("unix://", 0) == 0) return std::string(v).substr(7);
  }
  return "/run/hull/hull.sock";
}

base::Result<ClientResponse> Request(const std::string& socket_path, const std::string& method,
                                     const std::string& target, const std::string& body,
                                     int timeout_ms) {
  asio::io_context io;
  asio::local::stream_protocol::socket socket(io);
  beast::error_code ec;
  socket.connect(asio::local::stream_protocol::endpoint(socket_path), ec);
  if (ec) return base::Status::Error("cannot connect to hulld at " + socket_path + ": " + ec.message());
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "hulld");
  req.set(http::field::user_agent, "hull");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req, ec);
  if (ec) return base::Status::Error("hulld at " + socket_path + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(socket, buffer, parser, ec);
  if (ec) return base::Status::Error("hulld at " + socket_path + ": " + ec.message());
  return ClientResponse{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace hull::api
