// The progress bar shows a rate only once one is measured.
#include "test_util.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "train/progress.h"

using namespace cudanet;

namespace {

// What the bar wrote to `f` since the last call.
std::string drain(std::FILE* f, long& read_to) {
  std::fflush(f);
  const long end = std::ftell(f);
  std::string s(static_cast<size_t>(end - read_to), '\0');
  std::fseek(f, read_to, SEEK_SET);
  if (!s.empty()) REQUIRE(std::fread(s.data(), 1, s.size(), f) == s.size());
  read_to = end;
  return s;
}

}  // namespace

TEST_CASE("progress: the first frame shows no rate, later frames the rate since it", "[train]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  long read_to = 0;
  ProgressBar bar(f, /*force=*/true);
  // A resumed epoch starts 40 steps in: the steps before the first draw are not counted.
  bar.start(1, 5, 100);
  bar.draw(40, 2.3, 0.1);
  const std::string first = drain(f, read_to);
  CHECK_THAT(first, Catch::Contains("40/100  ETA --  loss 2.3000  acc 0.1000"));
  CHECK_THAT(first, !Catch::Contains("steps/s"));

  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  bar.draw(50, 2.0, 0.2);
  const std::string second = drain(f, read_to);
  // 10 steps in at least 0.1 s: at most 100 steps/s, and an ETA for the 50 left of at least 0.5 s.
  const size_t at = second.rfind("  ", second.find(" steps/s"));
  REQUIRE(second.find(" steps/s") != std::string::npos);
  const double rate = std::stod(second.substr(at + 2));
  CHECK(rate > 0);
  CHECK(rate <= 100.0);
  CHECK_THAT(second, !Catch::Contains("ETA --"));

  // A new epoch measures afresh.
  bar.start(2, 5, 100);
  bar.draw(1, 1.5, 0.5);
  CHECK_THAT(drain(f, read_to), !Catch::Contains("steps/s"));
  std::fclose(f);
}
