#include "api/client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <cstring>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/unique_fd.h"

namespace hull::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using base::Result;
using base::Status;

std::string DefaultSocketPath() {
  for (const char* var : {"HULL_HOST", "DOCKER_HOST"}) {
    const char* v = std::getenv(var);
    if (!v) continue;
    std::string value = v;
    if (value.rfind("unix://", 0) == 0) return value.substr(7);
    if (value.rfind("/", 0) == 0) return value;
  }
  return "/run/hull/hull.sock";
}

bool DaemonListening(const std::string& socket_path) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

struct ClientConnection::Impl {
  explicit Impl(const std::string& path) : socket(io), socket_path(path) {}
  Status Error(const beast::error_code& ec) const {
    return Status::Error("hulld at " + socket_path + ": " + ec.message());
  }

  asio::io_context io;
  asio::local::stream_protocol::socket socket;
  std::string socket_path;
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
};

ClientConnection::ClientConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClientConnection::ClientConnection(ClientConnection&&) noexcept = default;
ClientConnection& ClientConnection::operator=(ClientConnection&&) noexcept = default;
ClientConnection::~ClientConnection() = default;

Result<ClientConnection> ClientConnection::Connect(const std::string& socket_path, int timeout_ms) {
  auto impl = std::make_unique<Impl>(socket_path);
  beast::error_code ec;
  impl->socket.connect(asio::local::stream_protocol::endpoint(socket_path), ec);
  if (ec) return Status::Error("cannot connect to hulld at " + socket_path + ": " + ec.message());
  if (timeout_ms > 0) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(impl->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(impl->socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  impl->parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // streams (logs -f) have no end we could know
  return ClientConnection(std::move(impl));
}

Status ClientConnection::Send(const std::string& method, const std::string& target,
                              const std::string& body, bool upgrade) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "hulld");
  req.set(http::field::user_agent, "hull");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  if (upgrade) {
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "tcp");
  }
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  http::write(impl_->socket, req, ec);
  return ec ? impl_->Error(ec) : Status::Ok();
}

Status ClientConnection::SendFile(const std::string& method, const std::string& target,
                                  const std::string& path, const std::string& content_type) {
  http::request<http::file_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "hulld");
  req.set(http::field::user_agent, "hull");
  req.set(http::field::content_type, content_type);
  beast::error_code ec;
  req.body().open(path.c_str(), beast::file_mode::scan, ec);
  if (ec) return Status::Error("cannot read " + path + ": " + ec.message());
  req.prepare_payload();
  http::write(impl_->socket, req, ec);
  return ec ? impl_->Error(ec) : Status::Ok();
}

Result<int> ClientConnection::ReadHeader() {
  beast::error_code ec;
  http::read_header(impl_->socket, impl_->buffer, impl_->parser, ec);
  if (ec) return impl_->Error(ec);
  return static_cast<int>(impl_->parser.get().result_int());
}

Result<std::optional<std::string>> ClientConnection::ReadSome() {
  auto& p = impl_->parser;
  char chunk[16384];
  while (!p.is_done()) {
    p.get().body().data = chunk;
    p.get().body().size = sizeof chunk;
    beast::error_code ec;
    http::read_some(impl_->socket, impl_->buffer, p, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return impl_->Error(ec);
    size_t n = sizeof chunk - p.get().body().size;
    if (n > 0) return std::optional<std::string>(std::string(chunk, n));
  }
  return std::optional<std::string>();
}

Result<std::string> ClientConnection::ReadAll() {
  std::string out;
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<std::string> piece, ReadSome());
    if (!piece) return out;
    out += *piece;
  }
}

int ClientConnection::fd() const { return impl_->socket.native_handle(); }

std::string ClientConnection::TakeBuffered() {
  std::string out = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return out;
}

Result<ClientResponse> Request(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body, int timeout_ms) {
  ASSIGN_OR_RETURN(ClientConnection c, ClientConnection::Connect(socket_path, timeout_ms));
  RETURN_IF_ERROR(c.Send(method, target, body));
  ASSIGN_OR_RETURN(int status, c.ReadHeader());
  ASSIGN_OR_RETURN(std::string text, c.ReadAll());
  return ClientResponse{status, std::move(text)};
}

}  // namespace hull::api
