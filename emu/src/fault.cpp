#include "fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace cudaemu {

namespace {
// Plain data, read from a signal handler: no allocation there.
const LaunchSite* g_site = nullptr;
uint3 g_block{}, g_thread{};

void print_context() {
  if (!g_site) return;
  char line[512];
  const int n = std::snprintf(line, sizeof line,
                              "cudaemu: the fault below happened in kernel %s (launched at %s:%d), block (%u,%u,%u), "
                              "thread (%u,%u,%u)\n",
                              g_site->kernel, g_site->file, g_site->line, g_block.x, g_block.y, g_block.z, g_thread.x,
                              g_thread.y, g_thread.z);
  if (n > 0) (void)!write(STDERR_FILENO, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
}

#if !defined(__SANITIZE_ADDRESS__)
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction g_previous[4];

// Says where, then hands the signal to whoever handled it before (a test
// framework's reporter, or the default action).
void on_signal(int sig) {
  print_context();
  for (int k = 0; k < 4; ++k)
    if (kSignals[k] == sig) sigaction(sig, &g_previous[k], nullptr);
  raise(sig);
}
#endif

// Checked at every launch: a test framework may have put its own handler in
// place since (ours then runs first and hands on to it). A fiber's stack
// overflow faults on its guard page with no stack left, hence the alternate
// signal stack.
void install() {
#if defined(__SANITIZE_ADDRESS__)
  static const bool done = (__sanitizer_set_death_callback(print_context), true);
  (void)done;
#else
  static const bool alt_done = [] {
    static char alt[64 * 1024];
    stack_t ss{};
    ss.ss_sp = alt;
    ss.ss_size = sizeof alt;
    sigaltstack(&ss, nullptr);
    return true;
  }();
  (void)alt_done;
  for (int k = 0; k < 4; ++k) {
    struct sigaction now{};
    if (sigaction(kSignals[k], nullptr, &now) != 0 || now.sa_handler == on_signal) continue;
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    sigaction(kSignals[k], &sa, &g_previous[k]);
  }
#endif
}
}  // namespace

std::string where_file_line(const char* file, int line) {
  const char* slash = std::strrchr(file, '/');
  return std::string(slash ? slash + 1 : file) + ":" + std::to_string(line);
}

FaultScope::FaultScope(const LaunchSite& site) {
  install();
  g_site = &site;
}
FaultScope::~FaultScope() { g_site = nullptr; }
void set_fault_block(uint3 block) { g_block = block; }
void set_fault_thread(uint3 thread) { g_thread = thread; }

#if defined(__SANITIZE_ADDRESS__)
void asan_start_switch(void** fake_stack_save, const void* bottom, size_t size) {
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
}
void asan_finish_switch(void* fake_stack_save, const void** bottom_old, size_t* size_old) {
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
}
#endif

}  // namespace cudaemu
