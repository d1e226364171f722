#include "api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "base/event_fd.h"
#include "base/logging.h"
#include "base/unix_listener.h"

namespace hull::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using base::Result;
using base::Status;
using base::UniqueFd;

namespace {

constexpr uint32_t kMaxHeaderBytes = 64 * 1024;

// Waits (at most `limit`) until a Unix-socket client has read everything sent so far.
// Clients such as the Python SDK read a hijacked response's headers through a buffered
// reader and then read the stream from the raw socket: stream bytes that arrive with the
// headers land in that buffer and are lost. Docker narrows that window by starting the
// process after the headers; hull starts it first (so a failure is a plain error status)
// and closes the window instead: SIOCOUTQ on a Unix socket counts bytes not yet read by
// the peer. Other sockets (TCP counts unacknowledged bytes) return at once.
void WaitUntilPeerRead(int fd, std::chrono::milliseconds limit) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.ss_family != AF_UNIX) return;
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    int queued = 0;
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || queued == 0) return;
    pollfd p{fd, 0, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) return;
    if (std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(5));
  }
}
constexpr uint64_t kMaxBodyBytes = 4 << 20;         // JSON request bodies
constexpr uint64_t kMaxLoadBodyBytes = 4ull << 30;  // POST /images/load: an image tarball
constexpr const char* kApiVersion = "1.41";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void ParseTarget(std::string_view target, HttpRequest* req) {
  size_t q = target.find('?');
  req->path = PercentDecode(target.substr(0, q));
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (!key.empty()) req->query[key] = value;
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

// The routes whose body is an image tarball: /images/load, and /images/create (import
// with fromSrc=-; a pull has no body).
bool IsLoadTarget(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  auto ends = [&](std::string_view s) { return path.size() >= s.size() && path.substr(path.size() - s.size()) == s; };
  return ends("/images/load") || ends("/images/create");
}

// One connection, served on its own thread; also the ResponseWriter of its requests.
template <class Socket>
class Connection : public ResponseWriter {
 public:
  Connection(Socket socket, int fd, const std::string* token)
      : socket_(std::move(socket)), fd_(fd), token_(token) {}

  void Serve(const Handler& handler) {
    for (;;) {
      beast::error_code ec;
      http::request_parser<http::empty_body> head;
      head.header_limit(kMaxHeaderBytes);
      head.body_limit(kMaxLoadBodyBytes);
      http::read_header(socket_, buffer_, head, ec);
      if (ec) {
        if (ec != http::error::end_of_stream && ec != asio::error::eof &&
            ec != asio::error::connection_reset) {
          SendError(*this, 400, "malformed HTTP request: " + ec.message());
        }
        return;
      }
      auto head_target = head.get().target();
      bool load = IsLoadTarget(std::string_view(head_target.data(), head_target.size()));
      uint64_t limit = load ? kMaxLoadBodyBytes : kMaxBodyBytes;
      // Beast checks a Content-Length against the limit in force when the header ends,
      // which was the largest one; check the route's own here.
      if (head.content_length() && *head.content_length() > limit) {
        SendError(*this, 413, "request body too large");
        return;
      }
      http::request_parser<http::string_body> parser(std::move(head));
      parser.body_limit(limit);
      http::read(socket_, buffer_, parser, ec);
      if (ec == http::error::body_limit) {
        SendError(*this, 413, "request body too large");
        return;
      }
      if (ec) {
        SendError(*this, 400, "malformed HTTP request: " + ec.message());
        return;
      }
      http::request<http::string_body> raw = parser.release();
      HttpRequest req;
      req.method = std::string(raw.method_string());
      ParseTarget(std::string_view(raw.target().data(), raw.target().size()), &req);
      for (const auto& field : raw) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[name] = std::string(field.value());
      }
      req.body = std::move(raw.body());
      keep_alive_ = raw.keep_alive();
      head_only_ = req.method == "HEAD";
      upgrade_ = req.Header("upgrade") == "tcp";
      responded_ = false;
      if (token_ && req.Header("authorization") != "Bearer " + *token_) {
        SendError(*this, 401, "authentication required: Authorization: Bearer <token>");
      } else {
        Handle(handler, req);
      }
      if (close_ || !keep_alive_) return;
    }
  }

  // The boundary where library exceptions (a JSON field of an unexpected type deep in a
  // route, a bad_alloc) stop: a 500 for this request, or the connection closed if the
  // response had begun; never the daemon.
  void Handle(const Handler& handler, const HttpRequest& req) {
    try {
      handler(req, *this);
    } catch (const std::exception& e) {
      HULL_LOG(kError) << req.method << " " << req.path << ": " << e.what();
      if (responded_) close_ = true;
      else SendError(*this, 500, std::string("internal error: ") + e.what());
      return;
    }
    if (!responded_) SendError(*this, 500, "no response");
  }

  void Send(int status, std::string_view content_type, std::string body,
            const HeaderList& headers) override {
    responded_ = true;
    http::response<http::string_body> res(static_cast<http::status>(status), 11);
    AddCommonHeaders(res);
    if (!content_type.empty()) res.set(http::field::content_type, std::string(content_type));
    for (const auto& [k, v] : headers) res.set(k, v);
    std::size_t length = body.size();
    if (!head_only_) res.body() = std::move(body);
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    if (head_only_) res.content_length(length);
    beast::error_code ec;
    if (head_only_) {
      http::response_serializer<http::string_body> sr(res);
      http::write_header(socket_, sr, ec);
    } else {
      http::write(socket_, res, ec);
    }
    if (ec) close_ = true;
  }

  bool StartStream(int status, std::string_view content_type) override {
    responded_ = true;
    http::response<http::empty_body> res(static_cast<http::status>(status), 11);
    AddCommonHeaders(res);
    res.set(http::field::content_type, std::string(content_type));
    res.chunked(true);
    res.keep_alive(keep_alive_);
    http::response_serializer<http::empty_body> sr(res);
    beast::error_code ec;
    http::write_header(socket_, sr, ec);
    chunked_ = !ec;
    if (ec) close_ = true;
    return !ec;
  }

  bool Hijack(std::string_view content_type) override {
    responded_ = true;
    close_ = true;
    std::string head = upgrade_ ? "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                                : "HTTP/1.1 200 OK\r\n";
    head += "Content-Type: " + std::string(content_type) + "\r\nApi-Version: " + kApiVersion + "\r\n\r\n";
    beast::error_code ec;
    asio::write(socket_, asio::buffer(head), ec);
    if (!ec) WaitUntilPeerRead(fd_, std::chrono::seconds(2));
    return !ec;
  }

  bool Write(std::string_view data) override {
    if (data.empty()) return true;
    beast::error_code ec;
    if (chunked_) {
      asio::write(socket_, http::make_chunk(asio::buffer(data.data(), data.size())), ec);
    } else {
      asio::write(socket_, asio::buffer(data.data(), data.size()), ec);
    }
    if (ec) close_ = true;
    return !ec;
  }

  void End() override {
    beast::error_code ec;
    if (chunked_) asio::write(socket_, http::make_chunk_last(), ec);
    chunked_ = false;
    if (ec) close_ = true;
    if (close_) socket_.shutdown(Socket::shutdown_send, ec);
  }

  bool ClientGone() override {
    pollfd p{fd_, 0, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
  }

  std::string TakeBuffered() override {
    auto data = buffer_.data();
    std::string out(static_cast<const char*>(data.data()), data.size());
    buffer_.consume(data.size());
    return out;
  }

  int ClientFd() override { return fd_; }

 private:
  template <class Response>
  void AddCommonHeaders(Response& res) {
    res.set(http::field::server, "hulld");
    res.set("Api-Version", kApiVersion);
    res.set("Docker-Experimental", "false");
    res.set("Ostype", "linux");
  }

  Socket socket_;
  int fd_;
  const std::string* token_;  // null: no authentication (the Unix socket)
  beast::flat_buffer buffer_;
  bool keep_alive_ = true, head_only_ = false, upgrade_ = false;
  bool responded_ = false, chunked_ = false, close_ = false;
};

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  UniqueFd unix_fd, tcp_fd;
  int tcp_port = 0;
  base::EventFd stop;
  std::thread thread;
  asio::io_context io;  // never run: the sockets are used synchronously

  void Loop();
  void Accept(int listen_fd, bool tcp);
};

void HttpServer::Impl::Accept(int listen_fd, bool tcp) {
  UniqueFd accepted(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!accepted) {
    // Out of descriptors the listener stays readable: wait for connections to end
    // instead of spinning on poll.
    if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return;
  }
  int fd = accepted.get();
  try {
    std::thread([this, fd, tcp] {
      beast::error_code ec;
      if (tcp) {
        asio::ip::tcp::socket s(io);
        s.assign(asio::ip::tcp::v4(), fd, ec);
        if (ec) return;
        Connection<asio::ip::tcp::socket>(std::move(s), fd, &options.token).Serve(handler);
      } else {
        asio::local::stream_protocol::socket s(io);
        s.assign(asio::local::stream_protocol(), fd, ec);
        if (ec) return;
        Connection<asio::local::stream_protocol::socket>(std::move(s), fd, nullptr).Serve(handler);
      }
    }).detach();
    (void)accepted.release();  // the connection's socket owns it now
  } catch (const std::system_error& e) {  // no thread to spare: refuse this one connection
    HULL_LOG(kWarning) << "dropping a connection: " << e.what();
  }
}

void HttpServer::Impl::Loop() {
  for (;;) {
    pollfd fds[3] = {{stop.fd(), POLLIN, 0}, {unix_fd ? unix_fd.get() : -1, POLLIN, 0},
                     {tcp_fd ? tcp_fd.get() : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) return;
    if (fds[0].revents) return;
    if (fds[1].revents) Accept(unix_fd.get(), false);
    if (fds[2].revents) Accept(tcp_fd.get(), true);
  }
}

namespace {

Result<UniqueFd> ListenTcp(const std::string& address, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Status::Error("--tcp wants 127.0.0.1:PORT, got " + address);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  std::string host = address.substr(0, colon);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    return Status::Error("--tcp: only loopback addresses (127.0.0.0/8) are allowed, got " + host);
  }
  int p = std::atoi(address.substr(colon + 1).c_str());
  if (p < 0 || p > 65535) return Status::Error("--tcp: bad port in " + address);
  addr.sin_port = htons(static_cast<uint16_t>(p));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Status::Errno("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Status::Errno("binding " + address);
  }
  if (::listen(fd.get(), 64) != 0) return Status::Errno("listen " + address);
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  ASSIGN_OR_RETURN(impl->stop, base::EventFd::Create(EFD_NONBLOCK));
  if (!options.tcp_address.empty()) {
    if (options.token.empty()) return Status::Error("--tcp needs --token-file with a non-empty token");
    ASSIGN_OR_RETURN(impl->tcp_fd, ListenTcp(options.tcp_address, &impl->tcp_port));
  }
  if (!options.unix_path.empty()) {
    ASSIGN_OR_RETURN(impl->unix_fd, base::ListenUnix(options.unix_path, static_cast<mode_t>(options.unix_mode),
                                                     static_cast<gid_t>(options.unix_gid)));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  (void)impl_->stop.Signal();
  impl_->thread.join();
  if (!impl_->options.unix_path.empty()) ::unlink(impl_->options.unix_path.c_str());
}

int HttpServer::tcp_port() const { return impl_->tcp_port; }

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string HttpRequest::Query(const std::string& key, const std::string& fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

bool HttpRequest::QueryBool(const std::string& key, bool fallback) const {
  auto it = query.find(key);
  if (it == query.end()) return fallback;
  const std::string& v = it->second;
  return v == "1" || v == "true" || v == "True" || v == "TRUE";
}

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

void SendError(ResponseWriter& w, int status, const std::string& message) {
  // The message may quote a name or path from the request, which need not be UTF-8.
  std::string body = nlohmann::json{{"message", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  w.Send(status, "application/json", body + "\n");
}

void SendJson(ResponseWriter& w, int status, const std::string& json) {
  w.Send(status, "application/json", json + "\n");
}

}  // namespace hull::api
