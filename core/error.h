#pragma once
// cudanet::Error and the one generic check macro. The library throws and never
// exits; apps catch in main and print one line.
#include <sstream>
#include <stdexcept>
#include <string>

namespace cudanet {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Out of memory gets its own type so the trainer can suggest a smaller batch.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
[[noreturn]] void throw_error(const char* file, int line, const char* expr, const std::string& msg);
}  // namespace detail

}  // namespace cudanet

// CUDANET_CHECK(cond, parts...): throws cudanet::Error naming file:line, the
// failing expression and the message assembled from parts.
#define CUDANET_CHECK(cond, ...)                                                                 \
  do {                                                                                           \
    if (!(cond)) ::cudanet::detail::throw_error(__FILE__, __LINE__, #cond,                       \
                                                ::cudanet::detail::cat(__VA_ARGS__));            \
  } while (0)

#define CUDANET_FAIL(...) \
  ::cudanet::detail::throw_error(__FILE__, __LINE__, nullptr, ::cudanet::detail::cat(__VA_ARGS__))
