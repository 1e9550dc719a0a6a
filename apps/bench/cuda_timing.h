#pragma once
// CUDA-event timing for cudanet-bench, on device 0's compute stream (the one
// every cudanet kernel runs on). Built only with the CUDA backend.
#include <functional>
#include <string>
#include <vector>

#include "apps/bench/bench.h"

namespace cudanet::bench {

// Warm-up, then the device time of each of up to opts.repeats runs of fn(),
// each between its own pair of events. With opts.flush_l2, a buffer twice the
// L2 size is overwritten before every run (outside the events), so every run
// starts from DRAM as it would inside a network. One host sync at the end.
std::vector<double> cuda_time(const std::function<void()>& fn, const Options& opts);
// Device time of one call of fn() (which may launch many kernels), no flush,
// on `device`'s compute stream (a rank of a distributed case has its own).
double cuda_window_ms(const std::function<void()>& fn, int device = 0);
void cuda_sync();
// The card, for the report: "NVIDIA H100 80GB HBM3, sm_90, 132 SMs, L2 50 MiB".
std::string cuda_card();
// cudaMemcpy device-to-device bandwidth (1 GiB, read + write) and cuBLAS's
// 4096^3 SGEMM rate with the TF32 setting in force.
Ceilings measure_cuda_ceilings(const Options& opts);

}  // namespace cudanet::bench
