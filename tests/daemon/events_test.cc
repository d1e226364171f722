// GET /events against hulld: a follower connected before a container's life sees create,
// start, die (with the exit code) and destroy in order, with Docker's Actor attributes;
// kill and stop carry their signal; since/until replay what happened and end; filters
// keep only what they name, and a bad one is Docker's 400; image events for an import
// and a delete; and the clients: `docker events` with --since/--until and a format,
// the Python SDK's client.events(), and `docker stats --no-stream` without names (which
// follows /events).
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/daemon/hull_cli_fixture.h"
#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using json = nlohmann::json;
using hull::rootfs::testing::MissingTools;

// A raw GET /events on its own connection, read until it ends or `seconds` pass.
class Follower {
 public:
  Follower(const std::string& socket, const std::string& query) : fd_(ConnectUnix(socket)) {
    std::string request = "GET /v1.41/events" + query + " HTTP/1.1\r\nHost: docker\r\n\r\n";
    if (fd_.valid()) (void)!::write(fd_.get(), request.data(), request.size());
  }
  // The events read within `seconds` (fewer if the stream ends); stops once `until`
  // returns true for what was read.
  std::vector<json> Read(double seconds, const std::function<bool(const std::vector<json>&)>& until = {}) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000));
    char buf[8192];
    while (std::chrono::steady_clock::now() < deadline && !ended_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n <= 0) {
        ended_ = true;
        break;
      }
      raw_.append(buf, static_cast<size_t>(n));
      // The chunked body's last chunk: the stream has ended (the connection may stay).
      if (raw_.size() >= 7 && raw_.compare(raw_.size() - 7, 7, "\r\n0\r\n\r\n") == 0) ended_ = true;
      if (until && until(Events())) break;
    }
    return Events();
  }
  bool ended() const { return ended_; }
  const std::string& raw() const { return raw_; }

  // The JSON objects in the chunked body, in order.
  std::vector<json> Events() const {
    std::vector<json> out;
    size_t body = raw_.find("\r\n\r\n");
    if (body == std::string::npos) return out;
    std::istringstream in(raw_.substr(body + 4));
    for (std::string line; std::getline(in, line);) {
      size_t start = line.find('{');
      if (start == std::string::npos) continue;
      json j = json::parse(line.substr(start), nullptr, false);
      if (j.is_object()) out.push_back(j);
    }
    return out;
  }

 private:
  base::UniqueFd fd_;
  std::string raw_;
  bool ended_ = false;
};

// Percent-encodes a query value (the filters' JSON), as clients do.
std::string Encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::vector<std::string> Actions(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const json& e : events) out.push_back(e.value("Action", "?"));
  return out;
}

std::string NowSeconds() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  char text[64];
  std::snprintf(text, sizeof text, "%lld.%09ld", static_cast<long long>(t.tv_sec), t.tv_nsec);
  return text;
}

class Events : public HullCliTest {
 protected:
  // Creates, starts and waits for a namespace container running `script`; its ID.
  std::string RunToExit(const std::string& name, const std::string& script, json labels = json::object()) {
    json body = {{"Image", "hull/busybox"}, {"Cmd", {"sh", "-c", script}}, {"Labels", labels},
                 {"HostConfig", {{"Runtime", "ns"}}}};
    auto r = Http("POST", "/containers/create?name=" + name, body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    std::string id = json::parse(r.body, nullptr, false).value("Id", "");
    EXPECT_EQ(Http("POST", "/containers/" + name + "/start").status, 204);
    EXPECT_EQ(Http("POST", "/containers/" + name + "/wait").status, 200);
    return id;
  }
};

TEST_F(Events, AFollowerSeesAContainersLifeInOrder) {
  Follower follower(socket_, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // connected before anything happens
  std::string id = RunToExit("life", "exit 3", {{"app", "web"}});
  ASSERT_EQ(Http("DELETE", "/containers/life").status, 204);
  auto events = follower.Read(20, [](const std::vector<json>& e) { return e.size() >= 4; });
  ASSERT_EQ(Actions(events), (std::vector<std::string>{"create", "start", "die", "destroy"})) << follower.raw();
  for (const json& e : events) {
    EXPECT_EQ(e["Type"], "container");
    EXPECT_EQ(e["scope"], "local");
    EXPECT_EQ(e["Actor"]["ID"], id);
    EXPECT_EQ(e["id"], id);
    EXPECT_EQ(e["status"], e["Action"]);
    EXPECT_EQ(e["from"], "hull/busybox");
    EXPECT_EQ(e["Actor"]["Attributes"]["name"], "life");
    EXPECT_EQ(e["Actor"]["Attributes"]["image"], "hull/busybox");
    EXPECT_EQ(e["Actor"]["Attributes"]["app"], "web") << "the container's labels are attributes";
    EXPECT_EQ(e["time"].get<int64_t>(), e["timeNano"].get<int64_t>() / 1000000000);
  }
  EXPECT_EQ(events[2]["Actor"]["Attributes"]["exitCode"], "3");
  EXPECT_LE(events[0]["timeNano"].get<int64_t>(), events[3]["timeNano"].get<int64_t>());
  EXPECT_FALSE(follower.ended()) << "without until the stream follows on";
}

TEST_F(Events, StopSendsKillWithTheSignalThenDieThenStop) {
  json body = {{"Image", "hull/busybox"},
               {"Cmd", {"sh", "-c", "trap 'exit 143' TERM; while :; do sleep 0.1; done"}},
               {"HostConfig", {{"Runtime", "ns"}}}};
  ASSERT_EQ(Http("POST", "/containers/create?name=sleeper", body.dump()).status, 201);
  ASSERT_EQ(Http("POST", "/containers/sleeper/start").status, 204);
  Follower follower(socket_, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(Http("POST", "/containers/sleeper/stop?t=5").status, 204);
  auto events = follower.Read(20, [](const std::vector<json>& e) { return e.size() >= 3; });
  ASSERT_EQ(Actions(events), (std::vector<std::string>{"kill", "die", "stop"})) << follower.raw();
  EXPECT_EQ(events[0]["Actor"]["Attributes"]["signal"], "15");
  EXPECT_EQ(events[1]["Actor"]["Attributes"]["exitCode"], "143");
  // A process that ignores SIGTERM: after the grace period, SIGKILL, as Docker does.
  body["Cmd"] = {"sleep", "100"};  // PID 1 without a handler ignores SIGTERM
  ASSERT_EQ(Http("POST", "/containers/create?name=stubborn", body.dump()).status, 201);
  ASSERT_EQ(Http("POST", "/containers/stubborn/start").status, 204);
  Follower again(socket_, "?filters=" + Encode(json{{"container", {"stubborn"}}}.dump()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(Http("POST", "/containers/stubborn/stop?t=1").status, 204);
  events = again.Read(20, [](const std::vector<json>& e) { return e.size() >= 4; });
  ASSERT_EQ(Actions(events), (std::vector<std::string>{"kill", "kill", "die", "stop"})) << again.raw();
  EXPECT_EQ(events[0]["Actor"]["Attributes"]["signal"], "15");
  EXPECT_EQ(events[1]["Actor"]["Attributes"]["signal"], "9");
  EXPECT_EQ(events[2]["Actor"]["Attributes"]["exitCode"], "137");
}

TEST_F(Events, SinceAndUntilReplayAndEnd) {
  std::string before = NowSeconds();
  RunToExit("first", "true");
  std::string between = NowSeconds();
  RunToExit("second", "true");
  std::string after = NowSeconds();
  Follower all(socket_, "?since=" + before + "&until=" + after);
  auto events = all.Read(10);
  EXPECT_TRUE(all.ended()) << "until has passed: the stream ends";
  EXPECT_EQ(Actions(events), (std::vector<std::string>{"create", "start", "die", "create", "start", "die"}));
  Follower late(socket_, "?since=" + between + "&until=" + after);
  events = late.Read(10);
  ASSERT_EQ(events.size(), 3u) << late.raw();
  EXPECT_EQ(events[0]["Actor"]["Attributes"]["name"], "second");
  // until in the future: the stream waits for it, then ends.
  Follower soon(socket_, "?since=" + after + "&until=" + std::to_string(std::stoll(after) + 2));
  auto t0 = std::chrono::steady_clock::now();
  events = soon.Read(15);
  EXPECT_TRUE(soon.ended());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_TRUE(events.empty()) << soon.raw();
}

TEST_F(Events, FiltersKeepWhatTheyNameAndBadOnesAre400) {
  std::string since = NowSeconds();
  RunToExit("alpha", "exit 1", {{"tier", "front"}});
  RunToExit("beta", "exit 2");
  std::string until = NowSeconds();
  auto query = [&](const json& filters) {
    Follower f(socket_, "?since=" + since + "&until=" + until + "&filters=" + Encode(filters.dump()));
    return f.Read(10);
  };
  auto die = query({{"event", {"die"}}});
  ASSERT_EQ(Actions(die), (std::vector<std::string>{"die", "die"}));
  auto alpha = query({{"container", {"alpha"}}});
  EXPECT_EQ(alpha.size(), 3u);
  for (const json& e : alpha) EXPECT_EQ(e["Actor"]["Attributes"]["name"], "alpha");
  auto labelled = query({{"label", {"tier=front"}}, {"event", {"start"}}});
  ASSERT_EQ(labelled.size(), 1u);
  EXPECT_EQ(labelled[0]["Actor"]["Attributes"]["name"], "alpha");
  EXPECT_TRUE(query({{"type", {"image"}}}).empty());
  EXPECT_EQ(query({{"image", {"hull/busybox"}}}).size(), 6u);
  EXPECT_TRUE(query({{"image", {"other"}}}).empty());

  auto bad = Http("GET", "/events?filters=" + Encode(json{{"nope", {"x"}}}.dump()));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("invalid filter 'nope'"), std::string::npos) << bad.body;
  EXPECT_EQ(Http("GET", "/events?since=yesterday").status, 400);
  EXPECT_EQ(Http("GET", "/events?since=20&until=10").status, 400);
  EXPECT_EQ(Http("POST", "/events").status, 404);
}

TEST_F(Events, ImageImportAndDeleteAreImageEvents) {
  std::string since = NowSeconds();
  // An image of its own (a one-file root filesystem), so deleting it touches no other test.
  std::string dir = dir_ + "/rootfs";
  ASSERT_EQ(::system(("mkdir -p " + dir + " && echo hi > " + dir + "/hello && tar -C " + dir +
                      " -cf " + dir_ + "/rootfs.tar .").c_str()), 0);
  auto imported = Http("POST", "/images/create?fromSrc=-&repo=evtest&tag=v1", "",
                       {"--unix-socket", socket_, "--data-binary", "@" + dir_ + "/rootfs.tar", "-H",
                        "Content-Type: application/x-tar"});
  ASSERT_EQ(imported.status, 200) << imported.body;
  ASSERT_EQ(Http("DELETE", "/images/evtest:v1").status, 200);
  Follower f(socket_, "?since=" + since + "&until=" + NowSeconds() + "&filters=" +
                          Encode(json{{"type", {"image"}}}.dump()));
  auto events = f.Read(10);
  ASSERT_EQ(Actions(events), (std::vector<std::string>{"import", "untag", "delete"})) << f.raw();
  for (const json& e : events) EXPECT_EQ(e["Actor"]["Attributes"]["name"], "evtest:v1");
  EXPECT_EQ(events[0]["Actor"]["ID"].get<std::string>().rfind("sha256:", 0), 0u);
}

TEST_F(Events, DockerEventsPrintsTheReplayWithAFormat) {
  if (std::string m = MissingTools({"docker"}); !m.empty()) GTEST_SKIP() << m;
  std::string since = NowSeconds();
  RunToExit("cli", "exit 7");
  std::string until = NowSeconds();
  auto r = Docker({"events", "--since", since, "--until", until, "--format",
                   "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "container create cli <no value>\ncontainer start cli <no value>\ncontainer die cli 7\n");
  auto filtered = Docker({"events", "--since", since, "--until", until, "--filter", "event=die",
                          "--format", "{{.Action}} {{.Actor.Attributes.exitCode}}"});
  ASSERT_EQ(filtered.exit_status, 0) << filtered.err;
  EXPECT_EQ(filtered.out, "die 7\n");
}

TEST_F(Events, PythonSdkReadsEvents) {
  auto probe = hull::rootfs::testing::RunTool({"python3", "-c", "import docker"});
  if (probe.exit_status != 0) GTEST_SKIP() << "python3 cannot import docker: " << probe.err;
  std::string since = NowSeconds();
  RunToExit("sdk", "exit 5");
  std::string until = NowSeconds();
  auto r = Python("events", {since.substr(0, since.find('.')), std::to_string(std::stoll(until) + 1)});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "create sdk\nstart sdk\ndie sdk 5\n");
}

// hull events: docker's line format (UTC time with nanoseconds, type, action, ID, the
// attributes sorted), --filter, --format json, and its refusals.
TEST_F(Events, HullEventsPrintsDockersLines) {
  std::string since = NowSeconds();
  std::string id = RunToExit("hullcli", "exit 4");
  std::string until = std::to_string(std::stoll(NowSeconds()) + 1);
  since = since.substr(0, since.find('.'));
  auto r = Hull({"events", "--since", since, "--until", until, "--filter", "container=hullcli"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 3u) << r.out;
  // 2026-11-30T03:01:02.123456789Z container die ID (exitCode=4, image=hull/busybox, name=hullcli)
  EXPECT_EQ(got[2].size(), 31 + std::string("container die ").size() + id.size() +
                               std::string(" (exitCode=4, image=hull/busybox, name=hullcli)").size())
      << got[2];
  EXPECT_EQ(got[2].substr(10, 1), "T");
  EXPECT_EQ(got[2].substr(29, 2), "Z ");
  EXPECT_EQ(got[2].substr(31), "container die " + id + " (exitCode=4, image=hull/busybox, name=hullcli)");
  EXPECT_EQ(got[0].substr(31), "container create " + id + " (image=hull/busybox, name=hullcli)");
  auto json_lines = Hull({"events", "--since", since, "--until", until, "--filter", "event=die", "--format", "json"});
  ASSERT_EQ(json_lines.exit_status, 0) << json_lines.err;
  json die = json::parse(json_lines.out, nullptr, false);
  ASSERT_TRUE(die.is_object()) << json_lines.out;
  EXPECT_EQ(die["Actor"]["Attributes"]["exitCode"], "4");
  auto bad_format = Hull({"events", "--format", "{{.Action}}"});
  EXPECT_NE(bad_format.exit_status, 0);
  EXPECT_NE(bad_format.err.find("json"), std::string::npos) << bad_format.err;
  auto bad_since = Hull({"events", "--since", "soon"});
  EXPECT_NE(bad_since.exit_status, 0);
  EXPECT_NE(bad_since.err.find("--since soon"), std::string::npos) << bad_since.err;
  auto bad_filter = Hull({"events", "--until", until, "--filter", "colour=red"});
  EXPECT_NE(bad_filter.exit_status, 0);
  EXPECT_NE(bad_filter.err.find("invalid filter 'colour'"), std::string::npos) << bad_filter.err;
}

// docker stats without names lists the running containers and follows /events for new
// ones; with --no-stream it shows one sample of each.
TEST_F(Events, DockerStatsWithoutNamesShowsTheRunningContainers) {
  if (std::string m = MissingTools({"docker"}); !m.empty()) GTEST_SKIP() << m;
  json body = {{"Image", "hull/busybox"}, {"Cmd", {"sleep", "100"}}, {"HostConfig", {{"Runtime", "ns"}}}};
  ASSERT_EQ(Http("POST", "/containers/create?name=statme", body.dump()).status, 201);
  ASSERT_EQ(Http("POST", "/containers/statme/start").status, 204);
  auto r = Docker({"stats", "--no-stream", "--format", "{{.Name}}"}, 60);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "statme\n");
}

}  // namespace
}  // namespace hull::daemon_testing
