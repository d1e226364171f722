#include "cli/progress_printer.h"

#include <unistd.h>

namespace hull::cli {

namespace {

std::string Human(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB"};
  int u = 0;
  while (bytes >= 1000 && u < 3) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.1f%s", bytes, units[u]);
  return buf;
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::FILE* out) : out_(out), tty_(::isatty(fileno(out)) == 1) {}

void ProgressPrinter::Note(std::string_view text) {
  std::fprintf(out_, "%.*s\n", static_cast<int>(text.size()), text.data());
}

void ProgressPrinter::BlobStart(const rootfs::Digest& d, std::string_view what, int64_t size) {
  what_ = std::string(what);
  short_digest_ = std::string(d.hex().substr(0, 12));
  size_ = size;
  last_draw_ = {};
  if (tty_) Draw(0, false);
}

void ProgressPrinter::BlobBytes(const rootfs::Digest&, uint64_t done) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done, false);
}

void ProgressPrinter::BlobDone(const rootfs::Digest&, bool already_present) {
  if (tty_) {
    Draw(static_cast<uint64_t>(size_), true);
    if (already_present) std::fprintf(out_, " (already present)");
    std::fprintf(out_, "\n");
  } else {
    std::fprintf(out_, "%s %s: %s %s\n", what_.c_str(), short_digest_.c_str(),
                 already_present ? "already present" : "downloaded", Human(size_).c_str());
  }
  std::fflush(out_);
}

void ProgressPrinter::Draw(uint64_t done, bool final) {
  constexpr int kWidth = 30;
  double fraction = size_ > 0 ? static_cast<double>(done) / static_cast<double>(size_) : 1.0;
  if (fraction > 1) fraction = 1;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kWidth && !final) bar += '>';
  bar.resize(kWidth, ' ');
  std::fprintf(out_, "\r%-12s %s [%s] %s/%s", what_.c_str(), short_digest_.c_str(), bar.c_str(),
               Human(static_cast<double>(done)).c_str(), Human(static_cast<double>(size_)).c_str());
  std::fflush(out_);
}

}  // namespace hull::cli
