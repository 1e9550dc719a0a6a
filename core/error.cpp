#include "core/error.h"

#include <cstring>

namespace cudanet::detail {

void throw_error(const char* file, int line, const char* expr, const std::string& msg) {
  const char* base = std::strrchr(file, '/');
  std::ostringstream os;
  os << msg << " [" << (base ? base + 1 : file) << ":" << line;
  if (expr) os << ": " << expr;
  os << "]";
  throw Error(os.str());
}

}  // namespace cudanet::detail
