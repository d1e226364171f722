#include "vmm/api/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "vmm/seccomp/thread_filters.h"

namespace hull::vmm::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Local = asio::local::stream_protocol;

// Firecracker's API bodies are a few hundred bytes; this leaves room for long paths.
constexpr uint64_t kMaxBodyBytes = 64 * 1024;
constexpr uint32_t kMaxHeaderBytes = 16 * 1024;

http::response<http::string_body> ToResponse(const Reply& reply, unsigned version,
                                             bool keep_alive) {
  http::status status = http::status::no_content;
  if (reply.kind == Reply::Kind::kData) status = http::status::ok;
  if (reply.kind == Reply::Kind::kRefused) status = http::status::bad_request;
  http::response<http::string_body> response(status, version);
  response.set(http::field::server, "hull-vmm");
  if (!reply.body.empty()) {
    response.set(http::field::content_type, "application/json");
    response.body() = reply.body;
  }
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

// One connection: requests are read and answered one at a time, in order.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Local::socket socket, Controller& controller)
      : socket_(std::move(socket)), controller_(controller) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    parser_->header_limit(kMaxHeaderBytes);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted) return Close();
    if (ec) {
      // A request Beast cannot parse (or too large): answer once, then hang up,
      // because the stream is no longer at a request boundary.
      if (ec.category() != http::make_error_code(http::error::bad_version).category()) {
        return Close();
      }
      LOG_INFO << "API: malformed HTTP request: " << ec.message();
      return Write(ToResponse(Reply::Refused("malformed HTTP request: " + ec.message()), 11,
                              false));
    }
    http::request<http::string_body> request = parser_->release();
    Request plain{std::string(request.method_string()), std::string(request.target()),
                  std::move(request.body())};
    Reply reply = HandleRequest(controller_, plain);
    Write(ToResponse(reply, request.version(), request.keep_alive()));
  }

  void Write(http::response<http::string_body> response) {
    response_ = std::move(response);
    http::async_write(socket_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec || !self->response_.keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    socket_.shutdown(Local::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

  Local::socket socket_;
  Controller& controller_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

// Makes room for our socket at `path`: nothing there, or a socket nobody listens on.
base::Status ClaimPath(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return base::Status::Ok();
    return base::Status::Errno("API socket " + path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return base::Status::Error("API socket path " + path +
                               " exists and is not a socket; remove it or choose another "
                               "--api-sock path");
  }
  base::UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe.get() < 0) return base::Status::Errno("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    return base::Status::Error("API socket " + path +
                               " is in use by another process (is another hull-vmm running?)");
  }
  LOG_INFO << "removing stale API socket " << path;
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return base::Status::Errno("removing stale API socket " + path);
  }
  return base::Status::Ok();
}

// A listening socket at `path`, mode 0600 from the start (umask while binding), so no
// other user can connect even for a moment.
base::Result<base::UniqueFd> Listen(const std::string& path, ino_t* inode) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path) || path.find('\0') != path.npos) {
    return base::Status::Error("--api-sock path must be 1-" +
                               std::to_string(sizeof(addr.sun_path) - 1) + " bytes, got \"" +
                               path + "\"");
  }
  RETURN_IF_ERROR(ClaimPath(path));
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return base::Status::Errno("socket");
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  mode_t old_umask = umask(0177);
  int bound = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int bind_errno = errno;
  umask(old_umask);
  if (bound != 0) return base::Status::Errno("binding the API socket " + path, bind_errno);
  struct stat st {};
  if (chmod(path.c_str(), 0600) != 0 || lstat(path.c_str(), &st) != 0) {
    base::Status error = base::Status::Errno("API socket " + path);
    unlink(path.c_str());
    return error;
  }
  *inode = st.st_ino;
  if (listen(fd.get(), 16) != 0) {
    base::Status error = base::Status::Errno("listening on the API socket " + path);
    unlink(path.c_str());
    return error;
  }
  return fd;
}

}  // namespace

Reply HandleRequest(Controller& controller, const Request& request) {
  base::Result<Action> action = ParseRequest(request);
  if (!action.ok()) {
    LOG_INFO << "API: " << request.method << " " << request.path << ": "
             << action.status().message();
    return Reply::Refused(action.status().message());
  }
  Reply reply = controller.Apply(*action);
  if (reply.kind == Reply::Kind::kRefused) {
    LOG_INFO << "API: " << request.method << " " << request.path << ": refused: " << reply.body;
  } else {
    LOG_DEBUG << "API: " << request.method << " " << request.path << ": done";
  }
  return reply;
}

struct ApiServer::Impl {
  Impl(std::string path, ino_t inode, Controller& controller)
      : path(std::move(path)), inode(inode), controller(controller) {}

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, Local::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
        std::make_shared<Session>(std::move(socket), controller)->Read();
      } else {
        LOG_WARNING << "API: accept: " << ec.message();
      }
      Accept();
    });
  }

  const std::string path;
  const ino_t inode;
  Controller& controller;
  asio::io_context io{1};
  Local::acceptor acceptor{io};
  std::thread thread;
  bool stopped = false;
};

base::Result<std::unique_ptr<ApiServer>> ApiServer::Start(const std::string& path,
                                                          Controller& controller) {
  ino_t inode = 0;
  ASSIGN_OR_RETURN(base::UniqueFd fd, Listen(path, &inode));
  auto impl = std::make_unique<Impl>(path, inode, controller);
  beast::error_code ec;
  impl->acceptor.assign(Local(), fd.get(), ec);
  if (ec) {
    unlink(path.c_str());
    return base::Status::Error("API socket " + path + ": " + ec.message());
  }
  fd.release();  // the acceptor owns it now
  impl->Accept();
  Impl* raw = impl.get();
  try {
    impl->thread = std::thread([raw] {
      seccomp::EnterThread(seccomp::ThreadKind::kApi);  // before the first request
      raw->io.run();
    });
  } catch (const std::system_error& e) {
    unlink(path.c_str());
    return base::Status::Error(std::string("starting the API thread: ") + e.what());
  }
  LOG_INFO << "API listening on " << path;
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  // Remove the file only if it is still the socket we created.
  struct stat st {};
  if (lstat(impl_->path.c_str(), &st) == 0 && st.st_ino == impl_->inode) {
    unlink(impl_->path.c_str());
  }
}

}  // namespace hull::vmm::api
