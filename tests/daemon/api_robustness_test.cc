// hulld against bad and hostile clients (issue 7, item 8): malformed and wrongly shaped
// JSON bodies, unknown fields, a 64 MiB body, container names and URL ids that try to
// climb out of the store, unknown images, name conflicts, unknown endpoints and wrong
// methods, each answered with Docker's status code and message while the daemon stays
// up; half-sent requests that must not block other clients; and who may connect to the
// Unix socket (mode 0600 without a group `hull`, 0660 and that group with it).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using base::UniqueFd;
using nlohmann::json;

constexpr char kNameRule[] = "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed";

// Everything the peer sends until it closes (or 60 s of silence, so a test cannot hang).
std::string ReadUntilClosed(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 60000) <= 0) return out + "<still open>";
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Peak resident memory of a process, in KiB.
long VmHwmKb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// Every path under `dir`, for before/after comparisons.
std::set<std::string> Tree(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    out.insert(it->path().string());
  }
  return out;
}

class ApiRobustness : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (hulld runs namespace containers)";
    HulldTest::SetUp();
  }
  std::string Message(const HttpResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("message") ? j["message"].get<std::string>() : "<no message: " + r.body + ">";
  }
  bool HulldAlive() { return hulld_ > 0 && ::waitpid(hulld_, nullptr, WNOHANG) == 0; }
  size_t ContainerCount() {
    auto j = json::parse(Http("GET", "/containers/json?all=1").body, nullptr, false);
    return j.is_array() ? j.size() : 999;
  }
  std::string Create(const std::string& name, const std::string& body) {
    auto r = Http("POST", "/containers/create?name=" + name, body);
    EXPECT_EQ(r.status, 201) << name << ": " << r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("Id", "") : "";
  }
  int WaitStatus(const std::string& ref) {
    auto r = Http("POST", "/containers/" + ref + "/wait");
    return json::parse(r.body, nullptr, false).value("StatusCode", -1);
  }
};

TEST_F(ApiRobustness, MalformedJsonIs400AndTheDaemonStaysUp) {
  for (std::string body : {"{\"Image\": ", "{", "}", "not json", R"({"Image":"hull/busybox",})",
                           R"({"Image":"hull/busybox"} {"Image":"hull/busybox"})", "\xff\xfe{}", ""}) {
    auto r = Http("POST", "/containers/create", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(Message(r).find("invalid JSON"), std::string::npos) << body << ": " << r.body;
    auto exec = Http("POST", "/exec/0123/start", body.empty() ? "{" : body);
    EXPECT_EQ(exec.status, 400) << body << ": " << exec.body;
  }
  EXPECT_TRUE(HulldAlive());
  EXPECT_EQ(Http("GET", "/_ping").status, 200);
  EXPECT_EQ(ContainerCount(), 0u);
}

// Docker decodes bodies into Go structs: a known field of the wrong type is a 400 before
// anything is created. Some of these were accepted and then threw later (start, stop,
// inspect) on a connection thread, which ended hulld.
TEST_F(ApiRobustness, BodiesOfTheWrongShapeAre400AndCreateNothing) {
  for (std::string body : {
           "[]", "\"hull/busybox\"", "7", "null", "true",
           R"({"Image":7})", R"({"Image":["hull/busybox"]})",
           R"({"Image":"hull/busybox","Cmd":{"a":"b"}})", R"({"Image":"hull/busybox","Cmd":[1]})",
           R"({"Image":"hull/busybox","Env":[{"A":"1"}]})", R"({"Image":"hull/busybox","Tty":"yes"})",
           R"({"Image":"hull/busybox","StdinOnce":"yes"})", R"({"Image":"hull/busybox","StopSignal":15})",
           R"({"Image":"hull/busybox","StopTimeout":"10"})", R"({"Image":"hull/busybox","HostConfig":[]})",
           R"({"Image":"hull/busybox","HostConfig":"bridge"})",
           R"({"Image":"hull/busybox","HostConfig":{"Memory":"1g"}})",
           R"({"Image":"hull/busybox","HostConfig":{"LogConfig":{"Type":5}}})",
           R"({"Image":"hull/busybox","HostConfig":{"LogConfig":"json-file"}})",
           R"({"Image":"hull/busybox","HostConfig":{"Binds":[7]}})",
           R"({"Image":"hull/busybox","HostConfig":{"PortBindings":[1]}})",
           R"({"Image":"hull/busybox","HostConfig":{"AutoRemove":"no"}})",
           R"({"Image":"hull/busybox","HostConfig":{"CapAdd":[1]}})"}) {
    auto r = Http("POST", "/containers/create", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_FALSE(Message(r).empty());
    ASSERT_TRUE(HulldAlive()) << "after " << body;
  }
  EXPECT_EQ(ContainerCount(), 0u);
}

TEST_F(ApiRobustness, ExecBodiesOfTheWrongShapeAre400) {
  Create("box", R"({"Image":"hull/busybox","Cmd":["sleep","100"]})");
  ASSERT_EQ(Http("POST", "/containers/box/start").status, 204);
  for (std::string body : {"[]", R"({"Cmd":["true"],"Tty":"yes"})", R"({"Cmd":["true"],"User":5})",
                           R"({"Cmd":["true"],"Privileged":1})", R"({"Cmd":["true"],"AttachStdin":"no"})",
                           R"({"Cmd":["true"],"WorkingDir":["/"]})"}) {
    auto r = Http("POST", "/containers/box/exec", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    ASSERT_TRUE(HulldAlive()) << "after " << body;
  }
  auto exec = Http("POST", "/containers/box/exec", R"({"Cmd":["true"]})");
  ASSERT_EQ(exec.status, 201) << exec.body;
  std::string id = json::parse(exec.body).value("Id", "");
  auto start = Http("POST", "/exec/" + id + "/start", R"({"Detach":"yes"})");
  EXPECT_EQ(start.status, 400) << start.body;
  EXPECT_TRUE(HulldAlive());
  EXPECT_EQ(Http("GET", "/exec/" + id + "/json").status, 200);
}

TEST_F(ApiRobustness, UnknownFieldsAreIgnoredAsDockerDoes) {
  std::string id = Create("future", R"({
      "Image": "hull/busybox", "Cmd": ["sh", "-c", "exit 3"], "Entrypoint": null, "OnBuild": null,
      "FutureField": {"nested": [1, 2, {"deeper": null}]}, "Labels": {"a": "b"},
      "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}, "Healthcheck": {"Test": ["NONE"]},
      "StdinOnce": null, "StopSignal": null,
      "HostConfig": {"FutureHostField": true, "Memory": null, "LogConfig": null, "Ulimits": [],
                     "RestartPolicy": {"Name": "no"}},
      "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["x"]}}}})");
  ASSERT_FALSE(id.empty());
  auto inspect = Http("GET", "/containers/future/json");
  EXPECT_EQ(inspect.status, 200) << inspect.body;
  EXPECT_EQ(json::parse(inspect.body, nullptr, false)["Config"].value("FutureField", json()).dump(),
            R"({"nested":[1,2,{"deeper":null}]})");
  ASSERT_EQ(Http("POST", "/containers/future/start").status, 204);
  EXPECT_EQ(WaitStatus("future"), 3);
  EXPECT_EQ(Http("POST", "/containers/future/stop").status, 304);
  EXPECT_EQ(Http("DELETE", "/containers/future").status, 204);
  EXPECT_TRUE(HulldAlive());
}

// A 64 MiB body is refused from its Content-Length, or once a chunked one passes the
// limit, without buffering it: hulld's peak memory does not grow by anything like it,
// the answer is 413 and the connection is closed.
TEST_F(ApiRobustness, HugeBodiesAre413WithoutBeingBuffered) {
  constexpr size_t kHuge = 64u << 20;
  long before = VmHwmKb(hulld_);
  ASSERT_GT(before, 0);
  for (bool chunked : {false, true}) {
    UniqueFd fd = ConnectUnix(socket_);
    ASSERT_TRUE(fd) << std::strerror(errno);
    std::string head = "POST /v1.41/containers/create HTTP/1.1\r\nHost: hull\r\nContent-Type: application/json\r\n";
    head += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: " + std::to_string(kHuge) + "\r\n\r\n";
    ASSERT_EQ(::send(fd.get(), head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
    std::string piece(1 << 20, ' ');
    if (chunked) piece = "100000\r\n" + piece + "\r\n";
    // Send until hulld answers or closes (EPIPE, ECONNRESET) or all is sent.
    size_t sent = 0, offset = 0;
    while (sent < kHuge) {
      pollfd p{fd.get(), POLLIN | POLLOUT, 0};
      if (::poll(&p, 1, 60000) <= 0 || (p.revents & POLLIN)) break;
      ssize_t n = ::send(fd.get(), piece.data() + offset, piece.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN) break;
      offset += n > 0 ? static_cast<size_t>(n) : 0;
      if (offset == piece.size()) {
        offset = 0;
        sent += 1 << 20;
      }
    }
    std::string response = ReadUntilClosed(fd.get());
    EXPECT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << (chunked ? "chunked: " : "") << response.substr(0, 200);
    EXPECT_NE(response.find(R"({"message":"request body too large"})"), std::string::npos) << response;
    EXPECT_EQ(response.find("<still open>"), std::string::npos) << "hulld kept the connection open";
  }
  long after = VmHwmKb(hulld_);
  EXPECT_LT(after - before, 32 * 1024) << "hulld's peak memory grew from " << before << " to " << after << " KiB";
  EXPECT_TRUE(HulldAlive());
  EXPECT_EQ(Http("GET", "/_ping").status, 200);
  EXPECT_EQ(ContainerCount(), 0u);
}

TEST_F(ApiRobustness, NamesWithPathsOrOddCharactersAre400WithDockersMessage) {
  ASSERT_FALSE(Create("warm-up", R"({"Image":"hull/busybox"})").empty());  // the image is unpacked now
  ASSERT_EQ(Http("DELETE", "/containers/warm-up").status, 204);
  auto before = Tree(dir_);
  std::string long_name(300, 'a');
  std::vector<std::pair<std::string, std::string>> names = {  // as sent (query-encoded), as meant
      {"..%2Fx", "../x"}, {"a%2Fb", "a/b"}, {"..", ".."}, {".", "."}, {"a", "a"}, {"%2Fa", "/a"},
      {"%2F..", "/.."}, {"-ab", "-ab"}, {"_ab", "_ab"}, {".hidden", ".hidden"}, {"a%20b", "a b"},
      {"a%00b", std::string("a\0b", 3)}, {"%00", std::string(1, '\0')}, {"ab%0A", "ab\n"},
      {"x%2F..%2F..%2Fetc", "x/../../etc"}, {"%C3%A9t%C3%A9", "\xC3\xA9t\xC3\xA9"}, {long_name, long_name}};
  for (const auto& [sent, meant] : names) {
    auto r = Http("POST", "/containers/create?name=" + sent, R"({"Image":"hull/busybox"})");
    EXPECT_EQ(r.status, 400) << sent << ": " << r.body;
    EXPECT_EQ(Message(r), "Invalid container name (" + meant + kNameRule) << sent;
  }
  // Not UTF-8: quoted in the message with replacement characters (JSON must be UTF-8).
  auto bytes = Http("POST", "/containers/create?name=ab%FF%FE", R"({"Image":"hull/busybox"})");
  EXPECT_EQ(bytes.status, 400) << bytes.body;
  EXPECT_EQ(Message(bytes), "Invalid container name (ab\xEF\xBF\xBD\xEF\xBF\xBD" + std::string(kNameRule));
  EXPECT_TRUE(HulldAlive());
  EXPECT_EQ(ContainerCount(), 0u);
  auto after = Tree(dir_);
  after.erase(dir_ + "/hulld.log");
  before.erase(dir_ + "/hulld.log");
  EXPECT_EQ(after, before) << "a refused name left something behind";
  // Docker takes a leading slash as part of the syntax: "/name" is the name "name".
  std::string id = Create("%2Fslashed", R"({"Image":"hull/busybox"})");
  auto inspect = json::parse(Http("GET", "/containers/" + id + "/json").body, nullptr, false);
  EXPECT_EQ(inspect.value("Name", ""), "/slashed");
}

// IDs in URLs are looked up, never used as paths: traversal finds nothing (404) and
// nothing outside the store is read, changed or removed.
TEST_F(ApiRobustness, TraversalInUrlIdsIs404AndTouchesNothing) {
  std::string victim = Create("victim", R"({"Image":"hull/busybox"})");
  ASSERT_FALSE(victim.empty());
  for (const auto& dir : {dir_, root_, root_ + "/engine", root_ + "/engine/containers"}) {
    std::ofstream(dir + "/sentinel") << "keep";
  }
  auto before = Tree(dir_);
  before.erase(dir_ + "/hulld.log");
  std::vector<std::string> ids = {"..", "%2E%2E", "..%2F..", "..%2F..%2Fetc", "..%2F..%2F..%2Fsentinel",
                                  "..%2Fsentinel", "sentinel", "%2E", "%00", "victim%2F..%2F..%2Fsentinel",
                                  victim + "%2F..%2F..%2Fsentinel", "..%2F" + victim, "%FF%FE"};
  std::vector<std::pair<std::string, std::string>> actions = {
      {"GET", "/json"}, {"GET", "/logs?stdout=1"}, {"POST", "/start"}, {"POST", "/stop"},
      {"POST", "/kill"}, {"POST", "/wait"}, {"POST", "/restart"}, {"POST", "/attach?stream=1&stdout=1"},
      {"POST", "/resize?h=1&w=1"}, {"DELETE", "?force=1"}, {"DELETE", ""}};
  for (const auto& id : ids) {
    for (const auto& [method, action] : actions) {
      std::string path = "/v1.41/containers/" + id + action;
      auto r = Http(method, path, "", {"--unix-socket", socket_, "--path-as-is"});
      EXPECT_EQ(r.status, 404) << method << " " << path << ": " << r.body;
    }
    auto exec = Http("POST", "/containers/" + id + "/exec", R"({"Cmd":["true"]})");
    EXPECT_EQ(exec.status, 404) << id << ": " << exec.body;
    EXPECT_EQ(Http("GET", "/exec/" + id + "/json").status, 404) << id;
    EXPECT_EQ(Http("GET", "/images/" + id + "/json").status, 404) << id;
    EXPECT_EQ(Http("DELETE", "/images/" + id + "?force=1").status, 404) << id;
  }
  for (std::string raw : {"/containers/../../sentinel", "/containers/../../../sentinel/json",
                          "/containers/./../engine/json", "/images/../../sentinel"}) {
    for (std::string method : {"GET", "DELETE"}) {
      auto r = Http(method, raw, "", {"--unix-socket", socket_, "--path-as-is"});
      EXPECT_EQ(r.status, 404) << method << " " << raw << ": " << r.body;
    }
  }
  EXPECT_TRUE(HulldAlive());
  auto after = Tree(dir_);
  after.erase(dir_ + "/hulld.log");
  EXPECT_EQ(after, before) << "a traversal request changed the files around the store";
  EXPECT_EQ(ContainerCount(), 1u);
  EXPECT_EQ(Http("GET", "/containers/victim/json").status, 200);
}

TEST_F(ApiRobustness, UnknownImagesAre404AndCreateNothing) {
  for (std::string image : {"no-such/image:1", "hull/busybox:no-such-tag", "sha256:000000000000",
                            "../../../etc/passwd", "localhost:1/x"}) {
    auto r = Http("POST", "/containers/create?name=ghost", json{{"Image", image}}.dump());
    EXPECT_EQ(r.status, 404) << image << ": " << r.body;
    EXPECT_EQ(Message(r), "No such image: " + image);
  }
  EXPECT_EQ(Http("GET", "/containers/ghost/json").status, 404);
  EXPECT_EQ(ContainerCount(), 0u);
}

TEST_F(ApiRobustness, NameConflictIs409WithDockersMessage) {
  std::string id = Create("dup", R"({"Image":"hull/busybox"})");
  ASSERT_FALSE(id.empty());
  for (std::string name : {"dup", "%2Fdup"}) {
    auto r = Http("POST", "/containers/create?name=" + name, R"({"Image":"hull/busybox","Cmd":["true"]})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(Message(r), "Conflict. The container name \"/dup\" is already in use by container \"" + id +
                              "\". You have to remove (or rename) that container to be able to reuse that name.");
  }
  EXPECT_EQ(ContainerCount(), 1u);
}

// Docker's router answers both an unknown path and a known path with another method
// with 404 {"message":"page not found"}.
TEST_F(ApiRobustness, UnknownEndpointsAndWrongMethodsAre404PageNotFound) {
  Create("here", R"({"Image":"hull/busybox"})");
  std::vector<std::pair<std::string, std::string>> requests = {
      {"GET", "/nope"}, {"POST", "/v1.41/swarm/init"}, {"GET", "/v1.41/networks/x/y/z"},
      {"GET", "/containers/create"}, {"PUT", "/containers/create"}, {"DELETE", "/_ping"},
      {"POST", "/containers/json"}, {"PATCH", "/version"}, {"GET", "/containers/here/start"},
      {"DELETE", "/containers/here/json"}, {"PUT", "/containers/here"}, {"GET", "/exec/x/start"},
      {"POST", "/v1.41/containers/here/json/extra"}, {"GET", "/v1.41/"}, {"GET", "/"}};
  for (const auto& [method, path] : requests) {
    auto r = Http(method, path);
    EXPECT_EQ(r.status, 404) << method << " " << path << ": " << r.body;
    EXPECT_EQ(Message(r), "page not found") << method << " " << path;
  }
  EXPECT_TRUE(HulldAlive());
  EXPECT_EQ(Http("GET", "/containers/here/json").status, 200);
}

// One thread per connection: clients that send half a request and go quiet (slowloris)
// tie up only their own connection.
TEST_F(ApiRobustness, HalfSentRequestsDoNotBlockOtherClients) {
  std::vector<UniqueFd> stalled;
  std::vector<std::string> openings = {
      "",                                                          // connected, silent
      "GET /_pi",                                                  // half a request line
      "GET /_ping HTTP/1.1\r\nHost: hull\r\nX-Slow: ",             // half the headers
      "POST /containers/create HTTP/1.1\r\nHost: hull\r\nContent-Length: 1000\r\n\r\n{\"Ima",  // half a body
      "POST /containers/create HTTP/1.1\r\nHost: hull\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Ima"};
  for (int round = 0; round < 8; ++round) {
    for (const auto& opening : openings) {
      UniqueFd fd = ConnectUnix(socket_);
      ASSERT_TRUE(fd);
      ASSERT_EQ(::send(fd.get(), opening.data(), opening.size(), MSG_NOSIGNAL), static_cast<ssize_t>(opening.size()));
      stalled.push_back(std::move(fd));
    }
  }
  EXPECT_EQ(Http("GET", "/_ping").status, 200);
  EXPECT_EQ(Http("GET", "/version").status, 200);
  Create("meanwhile", R"({"Image":"hull/busybox","Cmd":["sh","-c","exit 4"]})");
  EXPECT_EQ(Http("POST", "/containers/meanwhile/start").status, 204);
  EXPECT_EQ(WaitStatus("meanwhile"), 4);
  EXPECT_EQ(ContainerCount(), 1u);
  stalled.clear();  // the stalled clients give up
  EXPECT_TRUE(HulldAlive());
  EXPECT_EQ(Http("GET", "/_ping").status, 200);
}

// --- Who may connect to the socket ---------------------------------------------------

constexpr uid_t kStranger = 54321;  // no account needed: setresuid in a forked child
constexpr gid_t kHullGid = 54322;

class SocketAccess : public ApiRobustness {
 protected:
  // Restarts hulld in a mount namespace of its own whose /etc/group is `group_file`'s
  // contents, so the test decides whether a group `hull` exists.
  bool StartHulldWithGroups(const std::string& group_file) {
    StopHulld(SIGTERM);
    std::string groups = dir_ + "/group";
    std::ofstream(groups) << group_file;
    hulld_ = ::fork();
    if (hulld_ == 0) {
      if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount(groups.c_str(), "/etc/group", nullptr, MS_BIND, nullptr) != 0) {
        ::_exit(126);
      }
      ExecLogging({HULLD_PATH, "--root", root_, "-H", "unix://" + socket_, "--bridge", "none"});
    }
    return WaitForPing();
  }
  // In a child as uid kStranger with these groups: 0 if it connected and /_ping answered
  // OK, else the errno of connect (or 255 for a wrong answer).
  int PingAs(gid_t gid, const std::vector<gid_t>& groups) {
    pid_t pid = ::fork();
    if (pid == 0) {
      if (::setgroups(groups.size(), groups.data()) != 0 || ::setresgid(gid, gid, gid) != 0 ||
          ::setresuid(kStranger, kStranger, kStranger) != 0) {
        ::_exit(254);
      }
      UniqueFd fd = ConnectUnix(socket_);
      if (!fd) ::_exit(errno);
      const char request[] = "GET /_ping HTTP/1.1\r\nHost: hull\r\nConnection: close\r\n\r\n";
      if (::send(fd.get(), request, sizeof request - 1, MSG_NOSIGNAL) < 0) ::_exit(253);
      std::string answer = ReadUntilClosed(fd.get());
      ::_exit(answer.rfind("HTTP/1.1 200", 0) == 0 && answer.find("\r\n\r\nOK") != std::string::npos ? 0 : 255);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 250;
  }
  void SetUp() override {
    ApiRobustness::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_EQ(::chmod(dir_.c_str(), 0711), 0);  // the stranger may reach the socket's directory
    std::ifstream etc("/etc/group");
    std::stringstream text;
    text << etc.rdbuf();
    host_groups_ = text.str();
    ASSERT_EQ(::getgrgid(kHullGid), nullptr) << "gid " << kHullGid << " is taken on this host";
  }
  std::string host_groups_;  // the host's /etc/group without any line for `hull`
};

TEST_F(SocketAccess, WithoutGroupHullOnlyRootConnects) {
  if (::getgrnam("hull") == nullptr) {  // the host's own case, with the fixture's hulld
    struct stat st {};
    ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
  }
  std::string groups;
  std::istringstream lines(host_groups_);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("hull:", 0) != 0) groups += line + "\n";
  }
  ASSERT_TRUE(StartHulldWithGroups(groups));
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(PingAs(kStranger, {}), EACCES);
  EXPECT_EQ(PingAs(kStranger, {0, kHullGid}), EACCES);  // not even root's group
  EXPECT_EQ(PingAs(0, {0}), EACCES);
  EXPECT_EQ(Http("GET", "/_ping").status, 200);  // root
}

TEST_F(SocketAccess, WithGroupHullItsMembersConnectAndOthersDoNot) {
  ASSERT_TRUE(StartHulldWithGroups(host_groups_ + "hull:x:" + std::to_string(kHullGid) + ":\n"));
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, kHullGid);
  EXPECT_EQ(PingAs(kStranger, {}), EACCES);
  EXPECT_EQ(PingAs(kStranger + 10, {kStranger + 10}), EACCES);
  EXPECT_EQ(PingAs(kStranger, {kHullGid}), 0);   // a supplementary member
  EXPECT_EQ(PingAs(kHullGid, {}), 0);            // hull as the primary group
}

}  // namespace
}  // namespace hull::daemon_testing
