#pragma once
// Where a fault happened: the kernel, block and thread the emulator was running
// when ASan reported an error or the process took a signal, printed before the
// report so it is readable; and ASan's fiber-switch annotations, so it follows
// the fibers' stacks.
#include <cstddef>
#include <string>

#include "cuda_runtime.h"

namespace cudaemu {

// "file.cu:42" from a path and a line.
std::string where_file_line(const char* file, int line);

// Marks the kernel that runs during this scope for the fault reporter.
class FaultScope {
 public:
  explicit FaultScope(const LaunchSite& site);
  ~FaultScope();
  FaultScope(const FaultScope&) = delete;
  FaultScope& operator=(const FaultScope&) = delete;
};
void set_fault_block(uint3 block);
void set_fault_thread(uint3 thread);

#if defined(__SANITIZE_ADDRESS__)
void asan_start_switch(void** fake_stack_save, const void* bottom, size_t size);
void asan_finish_switch(void* fake_stack_save, const void** bottom_old, size_t* size_old);
#else
inline void asan_start_switch(void**, const void*, size_t) {}
inline void asan_finish_switch(void*, const void**, size_t*) {}
#endif

}  // namespace cudaemu
