#include "base/terminal.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>

namespace hull::base {
namespace {

// What the signal handler restores. Process-wide because a signal handler can reach
// nothing else; written only while no RawTerminal is active (one at a time).
int g_fd = -1;
termios g_saved{};
volatile sig_atomic_t g_active = 0;

// Fatal signals whose default action ends hull: the terminal is restored first, then
// the default action runs (re-raised with the handler reset). SIGKILL cannot be caught;
// the shell's own `reset` is the only cure for that one. The signals the runtimes forward
// to the container (SIGINT, SIGTERM, ...) are blocked and read from a signalfd, so they
// end hull through the ordinary return path and the destructor.
constexpr int kFatal[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGALRM, SIGUSR1,
                          SIGUSR2, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGXCPU, SIGXFSZ};
struct sigaction g_old[sizeof(kFatal) / sizeof(kFatal[0])];

void Restore() {
  if (g_active) tcsetattr(g_fd, TCSANOW, &g_saved);  // async-signal-safe
  g_active = 0;
}

void OnFatalSignal(int sig) {
  Restore();
  // SA_RESETHAND put the default action back; the signal is blocked in its handler
  // and delivered again on return.
  raise(sig);
}

void SetHandlers(bool install) {
  struct sigaction sa{};
  sa.sa_handler = OnFatalSignal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof(kFatal) / sizeof(kFatal[0]); ++i) {
    if (install) sigaction(kFatal[i], nullptr, &g_old[i]);
    // A signal that is ignored stays ignored; one with its own handler keeps it.
    if (g_old[i].sa_handler == SIG_DFL) sigaction(kFatal[i], install ? &sa : &g_old[i], nullptr);
  }
}

}  // namespace

RawTerminal::RawTerminal(int fd) {
  termios saved;
  if (g_active || !isatty(fd) || tcgetattr(fd, &saved) != 0) return;
  g_fd = fd;
  g_saved = saved;
  SetHandlers(true);
  termios raw = saved;
  cfmakeraw(&raw);
  g_active = 1;
  active_ = tcsetattr(fd, TCSANOW, &raw) == 0;
  if (!active_) {
    g_active = 0;
    SetHandlers(false);
  }
}

RawTerminal::~RawTerminal() {
  if (!active_) return;
  Restore();
  SetHandlers(false);
}

std::optional<WindowSize> TerminalWindowSize(int fd) {
  winsize ws{};
  for (int f : {fd, 0, 1, 2}) {
    if (f >= 0 && ioctl(f, TIOCGWINSZ, &ws) == 0) return WindowSize{ws.ws_row, ws.ws_col};
  }
  return std::nullopt;
}

}  // namespace hull::base
