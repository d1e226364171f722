// The --metrics-path file: lines appended to a regular file, a FIFO opened without a
// reader, a full FIFO dropping (not blocking), and the composed metrics object.
#include "vmm/metrics/metrics_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hull::vmm {
namespace {

using json = nlohmann::json;

class MetricsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-metrics-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(MetricsFileTest, AppendsOneLinePerWriteToAFileItCreates) {
  const std::string path = dir_ + "/metrics.json";
  {
    auto file = MetricsFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status().message();
    ASSERT_TRUE((*file)->Write(R"({"a":1})").ok());
    ASSERT_TRUE((*file)->Write(R"({"a":2})").ok());
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second hull-vmm on the same file appends; it does not truncate.
  auto again = MetricsFile::Open(path);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Write(R"({"a":3})").ok());
  auto text = base::ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
}

TEST_F(MetricsFileTest, AFifoOpensWithoutAReaderAndAFullOneDropsTheLine) {
  const std::string path = dir_ + "/metrics.fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  auto file = MetricsFile::Open(path);  // would block with O_WRONLY and no reader
  ASSERT_TRUE(file.ok()) << file.status().message();
  base::UniqueFd reader(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_GE(reader.get(), 0);
  ASSERT_TRUE((*file)->Write(R"({"b":1})").ok());
  char buf[64] = {};
  ASSERT_EQ(read(reader.get(), buf, sizeof buf), 8);
  EXPECT_STREQ(buf, "{\"b\":1}\n");
  // Nobody reads: the pipe fills, and a write never blocks the VMM.
  const std::string big(60000, 'x');
  base::Status last = base::Status::Ok();
  for (int i = 0; i < 64 && last.ok(); ++i) last = (*file)->Write("\"" + big + "\"");
  EXPECT_FALSE(last.ok());
  EXPECT_GE((*file)->missed(), 1u);
}

// The flusher thread, FlushMetrics on the API thread and the exit all write: a line is
// composed (timestamped) under the file's lock, so lines land in the order they were made.
TEST_F(MetricsFileTest, LinesComposedByConcurrentWritersLandInOrder) {
  const std::string path = dir_ + "/metrics.json";
  auto file = MetricsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  std::atomic<int> made{0};
  auto compose = [&] {
    int n = made.fetch_add(1);
    std::this_thread::yield();  // widen the window between composing and writing
    return std::to_string(n);
  };
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 500; ++i) ASSERT_TRUE((*file)->Write(compose).ok());
    });
  }
  for (auto& w : writers) w.join();
  auto text = base::ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  int expected = 0;
  size_t start = 0;
  for (size_t nl; (nl = text->find('\n', start)) != std::string::npos; start = nl + 1) {
    ASSERT_EQ(text->substr(start, nl - start), std::to_string(expected)) << "line " << expected;
    ++expected;
  }
  EXPECT_EQ(expected, 2000);
}

TEST_F(MetricsFileTest, AMissingDirectoryIsAnErrorNamingThePath) {
  auto file = MetricsFile::Open(dir_ + "/no/such/dir/m.json");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("no/such/dir/m.json"), std::string::npos);
}

TEST_F(MetricsFileTest, TheFlusherWritesEveryPeriodAndOnceMoreWhenStopped) {
  const std::string path = dir_ + "/periodic.json";
  auto file = MetricsFile::Open(path);
  ASSERT_TRUE(file.ok());
  std::atomic<int> calls{0};
  std::atomic<bool> started{false};
  {
    MetricsFlusher flusher(
        file->get(), 0.05, [&] { return "{\"n\":" + std::to_string(++calls) + "}"; },
        [&] { started = true; });
    std::this_thread::sleep_for(std::chrono::milliseconds(320));
    flusher.Stop();
    const int after_stop = calls.load();
    EXPECT_GE(after_stop, 4);  // ~6 periods, and the last line
    flusher.Stop();            // idempotent: no further line
    EXPECT_EQ(calls.load(), after_stop);
  }
  EXPECT_TRUE(started);
  auto text = base::ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(static_cast<int>(std::count(text->begin(), text->end(), '\n')), calls.load());
  EXPECT_EQ(text->rfind("{\"n\":" + std::to_string(calls.load()) + "}\n"),
            text->size() - ("{\"n\":" + std::to_string(calls.load()) + "}\n").size());
}

TEST_F(MetricsFileTest, AStoppedFlusherWritesItsLineAtOnceEvenWithALongPeriod) {
  auto file = MetricsFile::Open(dir_ + "/long.json");
  ASSERT_TRUE(file.ok());
  auto begin = std::chrono::steady_clock::now();
  {
    MetricsFlusher flusher(file->get(), 3600, [] { return std::string("{}"); });
  }
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  auto text = base::ReadFileToString(dir_ + "/long.json");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "{}\n");
}

TEST(ComposeMetrics, MergesDeviceCountersUnderTheVmmsOwn) {
  auto rss = ResidentMemory::Open();
  ASSERT_TRUE(rss.ok());
  json j = json::parse(ComposeMetrics(&*rss, R"({"block_rootfs": {"read_count": 2}})"));
  EXPECT_GT(j["utc_timestamp_ms"].get<int64_t>(), 0);
  EXPECT_GT(j["vmm"]["resident_memory_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["block_rootfs"]["read_count"], 2);
  json before_boot = json::parse(ComposeMetrics(nullptr, ""));
  EXPECT_TRUE(before_boot["vmm"].empty());
  EXPECT_EQ(before_boot.size(), 2u);
  json garbage = json::parse(ComposeMetrics(nullptr, "not json"));
  EXPECT_EQ(garbage.size(), 2u);
}

}  // namespace
}  // namespace hull::vmm
