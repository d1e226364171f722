// `filters` on GET /containers/json and GET /images/json as Docker applies them
// (api/list_filters.h): through curl in both JSON forms, through the docker CLI
// (`docker ps --filter`, `docker images --filter`) and through `hull ps -f` /
// `hull images --filter`; Docker's 400s for bad filters.
#include <set>

#include <nlohmann/json.hpp>

#include "tests/daemon/hull_cli_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using nlohmann::json;

class ListFilters : public HullCliTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "curl"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HullCliTest::SetUp();
  }

  // alpha: exited 0, label tier=web; beta: exited 3; gamma: running, label tier=db;
  // delta: created. Created in this order (so gamma is newer than beta).
  void MakeContainers() {
    ASSERT_EQ(Docker({"run", "--name", "alpha", "--label", "tier=web", "hull/busybox", "true"}).exit_status, 0);
    ASSERT_EQ(Docker({"run", "--name", "beta", "hull/busybox", "sh", "-c", "exit 3"}).exit_status, 3);
    auto gamma = Docker({"run", "-d", "--name", "gamma", "--label", "tier=db", "hull/busybox", "sleep", "100"});
    ASSERT_EQ(gamma.exit_status, 0) << gamma.err;
    gamma_id_ = gamma.out.substr(0, 64);
    ASSERT_EQ(Docker({"create", "--name", "delta", "hull/busybox", "true"}).exit_status, 0);
  }

  // The names GET /containers/json?QUERY lists (status 200 expected).
  std::set<std::string> Names(const std::string& query) {
    auto r = Http("GET", "/containers/json?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::set<std::string> names;
    auto list = json::parse(r.body, nullptr, false);
    if (!list.is_array()) return names;
    for (const auto& c : list) names.insert(c["Names"][0].get<std::string>().substr(1));
    return names;
  }

  static std::string Encoded(const std::string& text) {
    std::string out;
    const char* hex = "0123456789ABCDEF";
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    return out;
  }
  std::string Filter(const std::string& json_text) { return "filters=" + Encoded(json_text); }

  std::string gamma_id_;
};

using Set = std::set<std::string>;

TEST_F(ListFilters, ContainersByStatusNameIdLabelAncestorAndExitCode) {
  MakeContainers();
  EXPECT_EQ(Names(""), Set({"gamma"}));
  EXPECT_EQ(Names("all=1"), Set({"alpha", "beta", "gamma", "delta"}));
  // A status filter lists stopped containers without all=1, as Docker's does.
  EXPECT_EQ(Names(Filter(R"({"status":["exited"]})")), Set({"alpha", "beta"}));
  EXPECT_EQ(Names(Filter(R"({"status":{"running":true}})")), Set({"gamma"}));
  EXPECT_EQ(Names(Filter(R"({"status":["created","running"]})")), Set({"gamma", "delta"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"exited":["3"]})")), Set({"beta"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"exited":["0"]})")), Set({"alpha"}));
  EXPECT_EQ(Names(Filter(R"({"exited":["0"]})")), Set());  // not running: needs all=1
  // name and id: exact, or a regular expression found in the value.
  EXPECT_EQ(Names("all=1&" + Filter(R"({"name":["alp"]})")), Set({"alpha"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"name":["^/beta$","delta"]})")), Set({"beta", "delta"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"id":[")" + gamma_id_.substr(0, 10) + R"("]})")), Set({"gamma"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"label":["tier"]})")), Set({"alpha", "gamma"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"label":["tier=db"]})")), Set({"gamma"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"label":["tier=db","other"]})")), Set());
  EXPECT_EQ(Names("all=1&" + Filter(R"({"ancestor":["hull/busybox"]})")),
            Set({"alpha", "beta", "gamma", "delta"}));
  EXPECT_EQ(Names("all=1&" + Filter(R"({"ancestor":["no/such:image"]})")), Set());
  // Several keys: all must hold.
  EXPECT_EQ(Names(Filter(R"({"status":["exited"],"name":["a"]})")), Set({"alpha", "beta"}));
  EXPECT_EQ(Names(Filter(R"({"status":["exited"],"name":["alpha"],"exited":["0"]})")), Set({"alpha"}));
  // before/since another container, by creation.
  EXPECT_EQ(Names(Filter(R"({"before":["gamma"]})")), Set({"alpha", "beta"}));
  EXPECT_EQ(Names(Filter(R"({"since":["beta"]})")), Set({"gamma", "delta"}));
}

TEST_F(ListFilters, BadContainerFiltersAreDockersErrors) {
  auto r = Http("GET", "/containers/json?" + Filter(R"({"foo":["x"]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body, nullptr, false).value("message", ""), "invalid filter 'foo'") << r.body;
  r = Http("GET", "/containers/json?" + Filter("{not json"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid filter"), std::string::npos) << r.body;
  r = Http("GET", "/containers/json?" + Filter(R"({"status":["sleeping"]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid filter 'status=sleeping'"), std::string::npos) << r.body;
  r = Http("GET", "/containers/json?" + Filter(R"({"exited":["x"]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid filter 'exited=x'"), std::string::npos) << r.body;
  r = Http("GET", "/containers/json?" + Filter(R"({"before":["nosuch"]})"));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("No such container: nosuch"), std::string::npos) << r.body;
  r = Http("GET", "/containers/json?" + Filter(R"({"network":["bridge"]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not supported"), std::string::npos) << r.body;
  // A pathological regular expression is refused quietly (no match), not run.
  EXPECT_EQ(Names("all=1&" + Filter(R"({"name":[")" + std::string(300, 'a') + R"("]})")), Set());
}

TEST_F(ListFilters, ImagesByReferenceAndDangling) {
  ASSERT_EQ(Http("GET", "/images/hull/busybox/json").status, 200);  // imports the built-in image
  auto repos = [&](const std::string& query) {
    auto r = Http("GET", "/images/json?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    Set out;
    auto list = json::parse(r.body, nullptr, false);
    if (list.is_array()) {
      for (const auto& i : list) out.insert(i["RepoTags"][0].get<std::string>());
    }
    return out;
  };
  EXPECT_EQ(repos(""), Set({"hull/busybox:latest"}));
  EXPECT_EQ(repos(Filter(R"({"reference":["hull/*"]})")), Set({"hull/busybox:latest"}));
  EXPECT_EQ(repos(Filter(R"({"reference":{"hull/busybox":true}})")), Set({"hull/busybox:latest"}));
  EXPECT_EQ(repos(Filter(R"({"reference":["busybox*"]})")), Set());  // '*' stops at '/'
  EXPECT_EQ(repos(Filter(R"({"reference":["*/busybox:lat*"]})")), Set({"hull/busybox:latest"}));
  EXPECT_EQ(repos(Filter(R"({"dangling":["true"]})")), Set());
  EXPECT_EQ(repos(Filter(R"({"dangling":["false"]})")), Set({"hull/busybox:latest"}));
  auto r = Http("GET", "/images/json?" + Filter(R"({"dangling":["maybe"]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid filter 'dangling=maybe'"), std::string::npos) << r.body;
  r = Http("GET", "/images/json?" + Filter(R"({"foo":["x"]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid filter 'foo'"), std::string::npos) << r.body;
}

TEST_F(ListFilters, DockerCliPassesFilters) {
  MakeContainers();
  auto ps = Docker({"ps", "--filter", "status=exited", "--format", "{{.Names}}"});
  ASSERT_EQ(ps.exit_status, 0) << ps.err;
  EXPECT_EQ(ps.out, "beta\nalpha\n");  // newest first
  ps = Docker({"ps", "-a", "-f", "exited=3", "-f", "name=beta", "--format", "{{.Names}}"});
  EXPECT_EQ(ps.out, "beta\n") << ps.err;
  ps = Docker({"ps", "-a", "--filter", "label=tier=db", "-q", "--no-trunc"});
  EXPECT_EQ(ps.out, gamma_id_ + "\n") << ps.err;
  auto bad = Docker({"ps", "--filter", "foo=bar"});
  EXPECT_NE(bad.exit_status, 0);
  EXPECT_NE(bad.err.find("invalid filter 'foo'"), std::string::npos) << bad.err;
  auto images = Docker({"images", "--filter", "reference=hull/*", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_EQ(images.out, "hull/busybox:latest\n") << images.err;
  images = Docker({"images", "--filter", "dangling=true", "-q"});
  EXPECT_EQ(images.exit_status, 0) << images.err;
  EXPECT_EQ(images.out, "");
}

TEST_F(ListFilters, HullCliPassesFilters) {
  MakeContainers();
  auto ps = Hull({"ps", "-q", "--no-trunc", "--filter", "status=running"});
  ASSERT_EQ(ps.exit_status, 0) << ps.err;
  EXPECT_EQ(ps.out, gamma_id_ + "\n");
  ps = Hull({"ps", "-a", "-f", "exited=0"});
  ASSERT_EQ(ps.exit_status, 0) << ps.err;
  EXPECT_NE(ps.out.find("alpha"), std::string::npos) << ps.out;
  EXPECT_EQ(ps.out.find("beta"), std::string::npos) << ps.out;
  auto bad = Hull({"ps", "-f", "status"});
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("bad format of filter (expected name=value)"), std::string::npos) << bad.err;
  bad = Hull({"ps", "-f", "foo=bar"});
  EXPECT_EQ(bad.exit_status, 1);
  EXPECT_NE(bad.err.find("Error response from daemon: invalid filter 'foo'"), std::string::npos) << bad.err;
  auto images = Hull({"images", "-q", "--filter", "dangling=true"});
  EXPECT_EQ(images.exit_status, 0) << images.err;
  EXPECT_EQ(images.out, "");
  images = Hull({"images", "--filter", "reference=hull/*"});
  EXPECT_NE(images.out.find("hull/busybox"), std::string::npos) << images.out << images.err;
}

}  // namespace
}  // namespace hull::daemon_testing
