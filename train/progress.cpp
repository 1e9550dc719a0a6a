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
  start_ = last_ = Clock::now();
}

void ProgressBar::draw(int64_t done, double loss, double accuracy) {
  if (!active_) return;
  last_ = Clock::now();
  const double elapsed = since(start_);
  const double rate = elapsed > 0 ? done / elapsed : 0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0;
  constexpr int kWidth = 24;
  const int filled = total_ ? static_cast<int>(kWidth * done / total_) : 0;
  std::string bar(filled, '=');
  if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, '.');
  std::fprintf(out_, "\r\033[Kepoch %d/%d [%s] %lld/%lld  ETA %s  loss %.4f  acc %.4f  %.1f steps/s", epoch_, epochs_,
               bar.c_str(), static_cast<long long>(done), static_cast<long long>(total_),
               format_duration(eta).c_str(), loss, accuracy, rate);
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
