#include "engine/json_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace hull::engine {
namespace {

class JsonLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-jsonlog-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/log.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::vector<LogEntry> ReadAll(JsonLogReader& reader) {
    std::vector<LogEntry> out;
    while (auto e = reader.Next()) out.push_back(*e);
    return out;
  }
  std::string dir_, path_;
};

TEST_F(JsonLogTest, SplitsLinesAndKeepsStreams) {
  auto w = JsonLogWriter::Open(path_, 0);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Write("stdout", "one\ntw").ok());
  ASSERT_TRUE(w->Write("stderr", "err\n").ok());
  ASSERT_TRUE(w->Write("stdout", "o\nthree").ok());
  ASSERT_TRUE(w->Flush().ok());
  auto reader = JsonLogReader::Open(path_, false);
  auto all = ReadAll(reader);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].text, "one\n");
  EXPECT_EQ(all[1].stream, "stderr");
  EXPECT_EQ(all[2].text, "two\n");
  EXPECT_EQ(all[3].text, "three");
  EXPECT_FALSE(all[0].time.empty());
}

TEST_F(JsonLogTest, RotatesBySizeAndReaderSeesBothFiles) {
  auto w = JsonLogWriter::Open(path_, 300);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(w->Write("stdout", "line " + std::to_string(i) + "\n").ok());
  EXPECT_TRUE(std::filesystem::exists(path_ + ".1"));
  EXPECT_LE(std::filesystem::file_size(path_), 300u);
  auto reader = JsonLogReader::Open(path_, false);
  auto all = ReadAll(reader);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().text, "line 5\n");
}

TEST_F(JsonLogTest, FollowerSeesNewLinesAcrossRotation) {
  auto w = JsonLogWriter::Open(path_, 200);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Write("stdout", "before\n").ok());
  auto reader = JsonLogReader::Open(path_, /*from_end=*/true);
  EXPECT_FALSE(reader.Next().has_value());
  std::vector<std::string> got;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(w->Write("stdout", "n" + std::to_string(i) + "\n").ok());
    while (auto e = reader.Next()) got.push_back(e->text);
  }
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got.front(), "n0\n");
  EXPECT_EQ(got.back(), "n9\n");
}

TEST_F(JsonLogTest, SkipsMalformedLines) {
  EXPECT_FALSE(ParseLogLine("not json").has_value());
  EXPECT_FALSE(ParseLogLine(R"({"log":1})").has_value());
  auto e = ParseLogLine(R"({"log":"x\n","stream":"stdout","time":"t"})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->text, "x\n");
}

}  // namespace
}  // namespace hull::engine
