// Engine without running containers: creation checks, names, recovery of a store that
// an earlier hulld left (exit recorded by the monitor; monitor gone without one).
#include "engine/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/monitor.h"

namespace hull::engine {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-engine-XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::unique_ptr<Engine> OpenEngine() {
    EngineOptions o;
    o.root = root_;
    o.monitor_exe = "/nonexistent";
    auto e = Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().message();
    return e.ok() ? std::move(*e) : nullptr;
  }
  // A record as an earlier hulld left it: running, with a dead monitor.
  std::string PlantRunning(const std::string& name, const std::string* exit_json) {
    ContainerRecord r;
    r.id = NewId();
    r.name = name;
    r.image = "hull/busybox";
    r.state = ContainerState::kRunning;
    r.monitor_pid = 999999;  // above the default pid_max: never a live process
    r.created = NowRfc3339Nano();
    std::string dir = root_ + "/engine/containers/" + r.id;
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/container.json") << RecordToJson(r).dump();
    if (exit_json) std::ofstream(dir + "/" + kExitFile) << *exit_json;
    return r.id;
  }
  std::string root_;
};

TEST_F(EngineTest, CreateChecksImageNameAndRuntime) {
  auto engine = OpenEngine();
  ASSERT_TRUE(engine);
  std::string id;
  Outcome o = engine->Create({"", {{"Image", "no/such:image"}}, {}}, &id);
  EXPECT_EQ(o.kind(), ErrorKind::kNotFound);
  EXPECT_NE(o.message().find("No such image"), std::string::npos);
  o = engine->Create({"", {{"Image", "hull/busybox"}}, {{"Runtime", "kata"}}}, &id);
  EXPECT_EQ(o.kind(), ErrorKind::kInvalid);
  o = engine->Create({"../x", {{"Image", "hull/busybox"}}, {}}, &id);
  EXPECT_EQ(o.kind(), ErrorKind::kInvalid);
  o = engine->Create({"", {{"Image", "hull/busybox"}, {"Cmd", 5}}, {}}, &id);
  EXPECT_EQ(o.kind(), ErrorKind::kInvalid);
}

TEST_F(EngineTest, CreatePersistsAndNamesConflict) {
  std::string id;
  {
    auto engine = OpenEngine();
    ASSERT_TRUE(engine);
    Outcome o = engine->Create({"web", {{"Image", "hull/busybox"}, {"Cmd", {"true"}}}, {}}, &id);
    ASSERT_TRUE(o.ok()) << o.message();
    std::string other;
    EXPECT_EQ(engine->Create({"web", {{"Image", "hull/busybox"}}, {}}, &other).kind(), ErrorKind::kConflict);
  }
  auto engine = OpenEngine();  // a restarted hulld
  ContainerRecord r;
  ASSERT_TRUE(engine->Get("web", &r).ok());
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.state, ContainerState::kCreated);
  EXPECT_TRUE(engine->Get(id.substr(0, 12), &r).ok());
  EXPECT_EQ(engine->Get("nope", &r).kind(), ErrorKind::kNotFound);
  EXPECT_EQ(engine->List(false).size(), 0u);
  EXPECT_EQ(engine->List(true).size(), 1u);
  EXPECT_TRUE(engine->Remove("web", false).ok());
  EXPECT_FALSE(std::filesystem::exists(engine->ContainerDir(id)));
}

TEST_F(EngineTest, RecoveryReadsTheExitTheMonitorRecorded) {
  std::string exit = R"({"ExitCode": 42, "FinishedAt": "2026-01-01T00:00:00.000000000Z"})";
  std::string id = PlantRunning("done", &exit);
  auto engine = OpenEngine();
  ContainerRecord r;
  ASSERT_TRUE(engine->Get(id, &r).ok());
  EXPECT_EQ(r.state, ContainerState::kExited);
  EXPECT_EQ(r.exit_code, 42);
  EXPECT_EQ(r.finished_at, "2026-01-01T00:00:00.000000000Z");
  int code = -1;
  EXPECT_TRUE(engine->Wait(id, WaitCondition::kNotRunning, &code).ok());
  EXPECT_EQ(code, 42);
}

TEST_F(EngineTest, RecoveryMarksAContainerWhoseMonitorDiedUnknown) {
  std::string id = PlantRunning("lost", nullptr);
  auto engine = OpenEngine();
  ContainerRecord r;
  ASSERT_TRUE(engine->Get(id, &r).ok());
  EXPECT_EQ(r.state, ContainerState::kExited);
  EXPECT_EQ(r.exit_code, 255);
  EXPECT_NE(r.error.find("monitor"), std::string::npos);
  // And the settled state was written back.
  auto again = OpenEngine();
  ASSERT_TRUE(again->Get(id, &r).ok());
  EXPECT_EQ(r.state, ContainerState::kExited);
}

TEST(ParseSignal, AcceptsDockersSpellings) {
  EXPECT_EQ(ParseSignal("KILL"), 9);
  EXPECT_EQ(ParseSignal("SIGTERM"), 15);
  EXPECT_EQ(ParseSignal("sigint"), 2);
  EXPECT_EQ(ParseSignal("10"), 10);
  EXPECT_EQ(ParseSignal("BOGUS"), 0);
  EXPECT_EQ(ParseSignal("999"), 0);
}

}  // namespace
}  // namespace hull::engine
