#include "benchmarks/api/keepalive_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hull::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using base::Result;
using base::Status;

struct KeepAliveClient::Impl {
  std::string path;
  int timeout_s = 60;
  asio::io_context io;
  asio::local::stream_protocol::socket socket{io};
  beast::flat_buffer buffer;

  Status Open() {
    beast::error_code ec;
    if (socket.is_open()) socket.close(ec);
    buffer.clear();
    socket.connect(asio::local::stream_protocol::endpoint(path), ec);
    if (ec) return Status::Error("connect " + path + ": " + ec.message());
    timeval tv{timeout_s, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return Status::Ok();
  }

  Result<ApiResponse> Exchange(const std::string& method, const std::string& target, const std::string& body) {
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "docker");
    req.set(http::field::user_agent, "hull-api-bench");
    req.keep_alive(true);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    beast::error_code ec;
    http::write(socket, req, ec);
    if (ec) return Status::Error("write: " + ec.message());
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(socket, buffer, parser, ec);
    if (ec) return Status::Error("read: " + ec.message());
    ApiResponse out{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
    if (!parser.get().keep_alive()) socket.close(ec);
    return out;
  }
};

KeepAliveClient::KeepAliveClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeepAliveClient::KeepAliveClient(KeepAliveClient&&) noexcept = default;
KeepAliveClient& KeepAliveClient::operator=(KeepAliveClient&&) noexcept = default;
KeepAliveClient::~KeepAliveClient() = default;

Result<KeepAliveClient> KeepAliveClient::Connect(const std::string& socket_path, int timeout_s) {
  auto impl = std::make_unique<Impl>();
  impl->path = socket_path;
  impl->timeout_s = timeout_s;
  RETURN_IF_ERROR(impl->Open());
  return KeepAliveClient(std::move(impl));
}

Result<ApiResponse> KeepAliveClient::Request(const std::string& method, const std::string& target,
                                             const std::string& json_body) {
  if (!impl_->socket.is_open()) RETURN_IF_ERROR(impl_->Open());
  auto r = impl_->Exchange(method, target, json_body);
  if (r.ok()) return r;
  // The daemon may have closed an idle connection: one fresh try.
  RETURN_IF_ERROR(impl_->Open());
  return impl_->Exchange(method, target, json_body);
}

}  // namespace hull::bench
