#pragma once
// Whole-file reads, and atomic writes: readers of a file written by AtomicFile
// only ever see the old content or the complete new one. The bytes go to a
// temporary file in the same folder, which is flushed, fsync'ed and renamed over
// the target (rename is atomic within a file system); the folder is then
// fsync'ed so the rename itself survives a crash. A process killed mid-write
// leaves the target untouched (and its temporary file behind).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace cudanet {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // opens the temporary file; throws naming `path`
  ~AtomicFile();                          // not committed: closes and removes the temporary
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t bytes);
  void commit();  // flush, fsync, rename over the target, fsync the folder

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temp_;  // "<folder>/.<name>.tmp.<pid>"
  std::FILE* file_ = nullptr;
};

// The temporary name AtomicFile uses for `path` in process `pid`.
std::string atomic_temp_path(const std::string& path, long pid);

void write_file_atomic(const std::string& path, const void* data, size_t bytes);

// The whole file; errors name it (missing, a folder, unreadable).
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace cudanet
