#include "vmm/api/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hull::vmm::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Local = asio::local::stream_protocol;
using json = nlohmann::json;

struct Response {
  int status = 0;
  std::string body;
  std::string content_type;
};

// A client connection to the API socket, as curl --unix-socket would make.
class Client {
 public:
  explicit Client(const std::string& path) : socket_(io_) {
    socket_.connect(Local::endpoint(path));
  }

  Response Send(http::verb method, const std::string& target, const std::string& body = "") {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "localhost");
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.prepare_payload();
    http::write(socket_, request);
    return ReadResponse();
  }

  void SendRaw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  Response ReadResponse() {
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response);
    return {static_cast<int>(response.result_int()), response.body(),
            std::string(response[http::field::content_type])};
  }

 private:
  asio::io_context io_;
  Local::socket socket_;
  beast::flat_buffer buffer_;
};

std::string Fault(const Response& response) {
  return json::parse(response.body).at("fault_message").get<std::string>();
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/hull-api-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/api.sock";
    auto controller = Controller::Create(VmConfig{}, {.vmm_version = "1.0"});
    ASSERT_TRUE(controller.ok());
    controller_ = std::move(*controller);
  }
  void TearDown() override {
    server_.reset();
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  void StartServer() {
    auto server = ApiServer::Start(path_, *controller_);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
  }

  std::string dir_, path_;
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ApiServerTest, SocketIsPrivateAndRemovedOnStop) {
  StartServer();
  struct stat st {};
  ASSERT_EQ(lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  server_->Stop();
  EXPECT_NE(lstat(path_.c_str(), &st), 0);
}

TEST_F(ApiServerTest, AnswersWithFirecrackersStatusCodes) {
  StartServer();
  Client client(path_);  // one keep-alive connection for every request
  Response info = client.Send(http::verb::get, "/");
  EXPECT_EQ(info.status, 200);
  EXPECT_EQ(info.content_type, "application/json");
  EXPECT_EQ(json::parse(info.body)["state"], "Not started");

  Response put = client.Send(http::verb::put, "/machine-config",
                             R"({"vcpu_count": 2, "mem_size_mib": 64})");
  EXPECT_EQ(put.status, 204);
  EXPECT_EQ(put.body, "");
  EXPECT_EQ(json::parse(client.Send(http::verb::get, "/machine-config").body)["vcpu_count"], 2);

  Response bad = client.Send(http::verb::put, "/machine-config", R"({"vcpu_count": )");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(Fault(bad).find("malformed JSON"), std::string::npos) << bad.body;

  Response wrong = client.Send(http::verb::put, "/vm", R"({"state": "Paused"})");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(Fault(wrong), "Invalid request method and/or path: PUT /vm.");

  Response early = client.Send(http::verb::patch, "/vm", R"({"state": "Paused"})");
  EXPECT_EQ(early.status, 400);
  EXPECT_NE(Fault(early).find("only allowed after boot"), std::string::npos);
}

TEST_F(ApiServerTest, MalformedHttpGetsA400AndTheConnectionCloses) {
  StartServer();
  Client client(path_);
  client.SendRaw("PUT /boot-source HTTP/1.1\r\nContent-Length: nope\r\n\r\n");
  Response response = client.ReadResponse();
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(Fault(response).find("malformed HTTP request"), std::string::npos);
  // The server still serves new connections.
  EXPECT_EQ(Client(path_).Send(http::verb::get, "/").status, 200);
}

TEST_F(ApiServerTest, OversizedBodyIsRefused) {
  StartServer();
  Client client(path_);
  std::string big = R"({"kernel_image_path": ")" + std::string(100 * 1024, 'k') + "\"}";
  Response response = client.Send(http::verb::put, "/boot-source", big);
  EXPECT_EQ(response.status, 400);
}

TEST_F(ApiServerTest, RefusesASocketInUse) {
  StartServer();
  auto second = ApiServer::Start(path_, *controller_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
  EXPECT_EQ(Client(path_).Send(http::verb::get, "/").status, 200);  // the first still serves
}

TEST_F(ApiServerTest, RefusesAPathThatIsNotASocket) {
  { std::ofstream(path_) << "precious"; }
  auto server = ApiServer::Start(path_, *controller_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("not a socket"), std::string::npos);
  std::ifstream in(path_);
  std::string kept;
  in >> kept;
  EXPECT_EQ(kept, "precious");
}

TEST_F(ApiServerTest, ReplacesAStaleSocket) {
  // A socket file whose listener is gone, as a killed hull-vmm leaves behind.
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  StartServer();
  EXPECT_EQ(Client(path_).Send(http::verb::get, "/").status, 200);
}

}  // namespace
}  // namespace hull::vmm::api
