#include "io/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace cudanet {

namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

std::string atomic_temp_path(const std::string& path, long pid) {
  const std::filesystem::path p(path);
  std::string name = ".";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "." + string
  name += p.filename().string();
  name += ".tmp.";
  name += std::to_string(pid);
  return (p.parent_path() / name).string();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  CUDANET_CHECK(!path_.empty() && std::filesystem::path(path_).has_filename(), "cannot write '", path_,
                "': not a file name");
  temp_ = atomic_temp_path(path_, static_cast<long>(::getpid()));
  file_ = std::fopen(temp_.c_str(), "wb");
  CUDANET_CHECK(file_, "cannot write '", path_, "': cannot create temporary file '", temp_, "': ", errno_text());
}

AtomicFile::~AtomicFile() {
  if (!file_) return;
  std::fclose(file_);
  std::remove(temp_.c_str());
}

void AtomicFile::write(const void* data, size_t bytes) {
  CUDANET_CHECK(file_, "write to '", path_, "' after commit");
  if (bytes == 0) return;
  CUDANET_CHECK(std::fwrite(data, 1, bytes, file_) == bytes, "cannot write '", path_, "' (temporary '", temp_,
                "'): ", errno_text());
}

void AtomicFile::commit() {
  CUDANET_CHECK(file_, "commit of '", path_, "' twice");
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const std::string why = flushed ? "" : errno_text();
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    std::remove(temp_.c_str());
    CUDANET_FAIL("cannot write '", path_, "': flushing the temporary file failed: ", flushed ? errno_text() : why);
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const std::string e = errno_text();
    std::remove(temp_.c_str());
    CUDANET_FAIL("cannot write '", path_, "': renaming '", temp_, "' over it failed: ", e);
  }
  // Without this the rename may be lost on power failure; a folder that cannot
  // be opened (unusual permissions) still leaves a complete file behind.
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_file_atomic(const std::string& path, const void* data, size_t bytes) {
  AtomicFile f(path);
  f.write(data, bytes);
  f.commit();
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::error_code ec;
  CUDANET_CHECK(!std::filesystem::is_directory(path, ec), "cannot read '", path, "': it is a folder");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  CUDANET_CHECK(f, "cannot read '", path, "': ", errno_text());
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  const bool failed = std::ferror(f);
  std::fclose(f);
  CUDANET_CHECK(!failed, "cannot read '", path, "': read error");
  return bytes;
}

}  // namespace cudanet
