#pragma once
// Whole-file reads, and atomic writes: readers of a file written by AtomicFile
// only ever see the old content or the complete new one. The bytes go to a
// temporary file in the same folder, which is flushed, fsync'ed and renamed over
// the target (rename is atomic within a file system); the folder is then
// fsync'ed so the rename itself survives a crash. A process killed mid-write
// leaves the target untouched and its temporary file behind; the next AtomicFile
// of the same target removes such temporaries whose process no longer exists.
//
// Only a regular file is replaced: a folder, a device (/dev/full), a FIFO or a
// socket at the path is refused. A symbolic link is written through: its target
// gets the new content and the link stays a link (a dangling link creates the
// file it names). The replacement keeps the existing file's permission bits.
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
  std::string path_;    // as given, for messages
  std::string target_;  // path_ with its symbolic links followed: the file replaced
  std::string temp_;    // "<target's folder>/.<target's name>.tmp.<pid>"
  std::FILE* file_ = nullptr;
};

// The temporary name AtomicFile uses for `path` in process `pid`.
std::string atomic_temp_path(const std::string& path, long pid);

void write_file_atomic(const std::string& path, const void* data, size_t bytes);

// Why no file can be created in `path`'s folder ("" when one can be): the folder
// is missing or is not a folder.
std::string folder_problem(const std::string& path);

// Why an atomic write to `path` would fail before its first byte ("" when it
// would not): folder_problem's reasons, a target that is not a regular file, or a
// folder that refuses a new file (found by creating and removing the temporary).
// For checking an output before hours of work that would end in writing it.
std::string atomic_write_problem(const std::string& path);

// The whole file; errors name it (missing, a folder, unreadable).
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace cudanet
