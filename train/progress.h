#pragma once
// The per-epoch progress line: redrawn in place on a terminal, silent in a pipe.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cudanet {

class ProgressBar {
 public:
  // `stream` is usually stderr; nothing is drawn unless it is a terminal (or force).
  explicit ProgressBar(std::FILE* stream = stderr, bool force = false);
  bool active() const { return active_; }
  // Whether enough time passed since the last draw that a redraw is worth a
  // device read-back (about 4 per second).
  bool due() const;
  void start(int epoch, int epochs, int64_t total_steps);
  // The rate and ETA are measured from the epoch's first draw to this one: the
  // first frame shows neither, rather than a rate over no time.
  void draw(int64_t steps_done, double loss, double accuracy);
  void finish();  // clears the line

 private:
  std::FILE* out_;
  bool active_;
  int epoch_ = 0, epochs_ = 0;
  int64_t total_ = 0;
  int64_t first_done_ = -1;  // steps done at the epoch's first draw; -1 before it
  std::chrono::steady_clock::time_point first_, last_;
};

std::string format_duration(double seconds);  // "1m05s", "12.3s"

}  // namespace cudanet
