#include "engine/proc_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hull::engine {
namespace {

TEST(ProcFile, ReadsFilesThatStatCallsEmpty) {
  auto text = ReadProcFile("/proc/self/cmdline");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("engine_unittests"), std::string::npos);
}

TEST(ProcFile, FindsTheFirstChildAndRecognizesIt) {
  pid_t child = ::fork();
  if (child == 0) {
    ::execlp("sleep", "sleep", "5", nullptr);
    ::_exit(127);
  }
  int found = 0;
  for (int i = 0; i < 100 && !ProcessMentions(child, "sleep"); ++i) ::usleep(10000);
  found = FirstChildOf(::getpid());
  EXPECT_EQ(found, child);
  EXPECT_TRUE(ProcessMentions(child, "sleep"));
  EXPECT_FALSE(ProcessMentions(child, "no-such-word"));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(ProcessMentions(child, "sleep"));
  EXPECT_EQ(FirstChildOf(0), 0);
}

}  // namespace
}  // namespace hull::engine
