#include "train/progress.h"

#include <unistd.h>

#include <string>

namespace cudanet {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

ProgressBar::ProgressBar(std::FILE* stream, bool force) : out_(stream), active_(force || isatty(fileno(stream))) {}

bool ProgressBar::due() const { return active_ && since(last_) >= 0.25; }

void ProgressBar::start(int epoch, int epochs, int64_t total_steps) {
  epoch_ = epoch, epochs_ = epochs, total_ = total_steps;
  first_done_ = -1;
  last_ = Clock::now();
}

void ProgressBar::draw(int64_t done, double loss, double accuracy) {
  if (!active_) return;
  last_ = Clock::now();
  if (first_done_ < 0) first_done_ = done, first_ = last_;
  // Steps since the first draw over the time they took; none measured yet on the first frame.
  const double elapsed = std::chrono::duration<double>(last_ - first_).count();
  const bool measured = done > first_done_ && elapsed > 0;
  const double rate = measured ? static_cast<double>(done - first_done_) / elapsed : 0;
  constexpr int kWidth = 24;
  const int filled = total_ ? static_cast<int>(kWidth * done / total_) : 0;
  std::string bar(filled, '=');
  if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, '.');
  std::fprintf(out_, "\r\033[Kepoch %d/%d [%s] %lld/%lld  ETA %s  loss %.4f  acc %.4f", epoch_, epochs_, bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_),
               measured ? format_duration(static_cast<double>(total_ - done) / rate).c_str() : "--", loss, accuracy);
  if (measured) std::fprintf(out_, "  %.1f steps/s", rate);
  std::fflush(out_);
}

void ProgressBar::finish() {
  if (!active_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
}

std::string format_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

}  // namespace cudanet
