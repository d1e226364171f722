// Runtime "vm" through hulld: the monitor runs the container as a micro-VM (runtime/vm,
// the qemu backend under TCG here, a few seconds per boot). The API lifecycle — create,
// start, wait, logs with separate streams, inspect, stop of a running VM, kill, remove —
// and the docker CLI's `run --runtime vm --rm`; exec into a running VM (runtime/vm's
// exec socket, guest protocol exec sessions) beside its main process.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/daemon/hulld_fixture.h"
#include "tests/rootfs/local_registry.h"

namespace hull::daemon_testing {
namespace {

using nlohmann::json;

class VmRuntime : public HulldTest {
 protected:
  void SetUp() override {
    std::string missing = hull::rootfs::testing::MissingTools({"docker", "curl", "qemu-system-x86_64"});
    if (!missing.empty()) GTEST_SKIP() << missing;
    HulldTest::SetUp();
  }
  // Creates and starts a VM container; its ID.
  std::string StartVm(const std::string& name, const std::string& cmd_json) {
    auto create = Http("POST", "/containers/create?name=" + name,
                       R"({"Image":"hull/busybox","Cmd":)" + cmd_json + R"(,"HostConfig":{"Runtime":"vm"}})");
    EXPECT_EQ(create.status, 201) << create.body;
    auto start = Http("POST", "/containers/" + name + "/start");
    EXPECT_EQ(start.status, 204) << start.body;
    auto j = json::parse(create.body, nullptr, false);
    return j.is_object() ? j.value("Id", "") : "";
  }
  // Skips when this machine has no guest kernel built (the container's log says so).
  bool KernelMissing(const std::string& name) {
    return Docker({"logs", name}).err.find("guest-kernel-config/build.sh") != std::string::npos;
  }
};

TEST_F(VmRuntime, LifecycleThroughTheApi) {
  StartVm("vm1", R"(["sh","-c","echo out; echo err >&2; exit 3"])");
  auto wait = Http("POST", "/containers/vm1/wait");
  if (KernelMissing("vm1")) GTEST_SKIP() << "no guest kernel: " << Docker({"logs", "vm1"}).err;
  EXPECT_EQ(json::parse(wait.body, nullptr, false).value("StatusCode", -1), 3) << wait.body
      << Docker({"logs", "vm1"}).err;
  auto out = Docker({"logs", "vm1"});
  EXPECT_EQ(out.out, "out\n");
  EXPECT_NE(out.err.find("err\n"), std::string::npos) << out.err;
  auto inspect = json::parse(Http("GET", "/containers/vm1/json").body, nullptr, false);
  EXPECT_EQ(inspect["HullRuntime"], "vm");
  EXPECT_EQ(inspect["State"]["Status"], "exited");
  EXPECT_EQ(inspect["State"]["ExitCode"], 3);
  EXPECT_EQ(inspect["State"]["OOMKilled"], false);

  StartVm("vm2", R"(["sleep","1000"])");
  auto running = json::parse(Http("GET", "/containers/vm2/json").body, nullptr, false);
  EXPECT_EQ(running["State"]["Running"], true);
  EXPECT_GT(running["State"]["Pid"].get<int>(), 0);
  // A detached exec; its exit code through exec inspect.
  auto exec = Http("POST", "/containers/vm2/exec", R"({"Cmd":["sh","-c","exit 5"]})");
  ASSERT_EQ(exec.status, 201) << exec.body;
  std::string exec_id = json::parse(exec.body)["Id"];
  auto exec_start = Http("POST", "/exec/" + exec_id + "/start", R"({"Detach":true})");
  EXPECT_EQ(exec_start.status, 200) << exec_start.body;
  json exec_inspect;
  for (int i = 0; i < 1200; ++i) {
    exec_inspect = json::parse(Http("GET", "/exec/" + exec_id + "/json").body, nullptr, false);
    if (exec_inspect.is_object() && exec_inspect["Running"] == false) break;
    usleep(100000);
  }
  EXPECT_EQ(exec_inspect["ExitCode"], 5) << exec_inspect.dump();
  EXPECT_EQ(Http("POST", "/containers/vm2/stop?t=20").status, 204);
  int code = json::parse(Http("GET", "/containers/vm2/json").body)["State"]["ExitCode"];
  EXPECT_EQ(code, 143) << "sleep is not the guest's PID 1: SIGTERM ends it";

  StartVm("vm3", R"(["sleep","1000"])");
  EXPECT_EQ(Http("POST", "/containers/vm3/kill").status, 204);
  auto killed = Http("POST", "/containers/vm3/wait");
  EXPECT_EQ(json::parse(killed.body, nullptr, false).value("StatusCode", -1), 137) << killed.body;
  for (std::string name : {"vm1", "vm2", "vm3"}) EXPECT_EQ(Http("DELETE", "/containers/" + name).status, 204);
  EXPECT_TRUE(LiveMonitors().empty());
  EXPECT_TRUE(std::filesystem::is_empty(root_ + "/engine/containers"));
}

// docker exec into a VM whose main process waits for a file only an exec creates: output,
// exit codes, stdin, -e/-w/-u, a missing program, and the main process ending normally.
TEST_F(VmRuntime, DockerExecRunsBesideTheMainProcess) {
  StartVm("vmx", R"(["sh","-c","while [ ! -e /tmp/stop ]; do sleep 0.2; done; echo main done; exit 4"])");
  auto hi = Docker({"exec", "vmx", "echo", "hi"}, 120);
  if (KernelMissing("vmx")) GTEST_SKIP() << "no guest kernel: " << Docker({"logs", "vmx"}).err;
  EXPECT_EQ(hi.exit_status, 0) << hi.err << Docker({"logs", "vmx"}).err;
  EXPECT_EQ(hi.out, "hi\n");
  auto failing = Docker({"exec", "vmx", "sh", "-c", "echo to stderr >&2; exit 7"});
  EXPECT_EQ(failing.exit_status, 7) << failing.err;
  EXPECT_EQ(failing.out, "");
  EXPECT_NE(failing.err.find("to stderr"), std::string::npos) << failing.err;
  auto in = hull::testing::RunProcess(
      {"/usr/bin/env", "DOCKER_HOST=unix://" + socket_, "DOCKER_CONFIG=" + dir_ + "/docker-config", "docker", "exec",
       "-i", "vmx", "sh", "-c", "cat; echo ---"},
      60, "through exec\n");
  EXPECT_EQ(in.exit_status, 0) << in.err;
  EXPECT_EQ(in.out, "through exec\n---\n");
  auto settings = Docker({"exec", "-e", "GREETING=hello", "-w", "/tmp", "-u", "1234", "vmx", "sh", "-c",
                          "echo $GREETING $(pwd) $(id -u)"});
  EXPECT_EQ(settings.out, "hello /tmp 1234\n") << settings.err;
  auto missing = Docker({"exec", "vmx", "no-such-program"});
  EXPECT_EQ(missing.exit_status, 127);
  EXPECT_NE((missing.out + missing.err).find("executable file not found"), std::string::npos)
      << missing.out << missing.err;

  EXPECT_EQ(Docker({"exec", "vmx", "touch", "/tmp/stop"}).exit_status, 0);
  auto wait = Http("POST", "/containers/vmx/wait");
  EXPECT_EQ(json::parse(wait.body, nullptr, false).value("StatusCode", -1), 4) << wait.body;
  EXPECT_EQ(Docker({"logs", "vmx"}).out, "main done\n");
  auto stopped = Docker({"exec", "vmx", "echo", "late"});
  EXPECT_NE(stopped.exit_status, 0);
  EXPECT_NE(stopped.err.find("is not running"), std::string::npos) << stopped.err;
  auto api = Http("POST", "/containers/vmx/exec", R"({"Cmd":["true"]})");
  EXPECT_EQ(api.status, 409) << api.body;
  EXPECT_EQ(Http("DELETE", "/containers/vmx").status, 204);
  EXPECT_TRUE(LiveMonitors().empty());
}

TEST_F(VmRuntime, DockerRunRuntimeVm) {
  auto r = Docker({"run", "--runtime", "vm", "--rm", "hull/busybox", "echo", "hi"}, 120);
  if (r.err.find("guest-kernel-config/build.sh") != std::string::npos) GTEST_SKIP() << r.err;
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "hi\n");
  auto in = hull::testing::RunProcess(
      {"/usr/bin/env", "DOCKER_HOST=unix://" + socket_, "DOCKER_CONFIG=" + dir_ + "/docker-config", "docker", "run",
       "--runtime", "vm", "-i", "--rm", "hull/busybox", "sh", "-c", "cat; exit 2"},
      120, "through the guest\n");
  EXPECT_EQ(in.exit_status, 2) << in.err;
  EXPECT_EQ(in.out, "through the guest\n");
  EXPECT_EQ(Docker({"ps", "-aq"}).out, "");
  EXPECT_TRUE(LiveMonitors().empty());
}

}  // namespace
}  // namespace hull::daemon_testing
