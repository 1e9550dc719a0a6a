#include "io/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace cudanet {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// The kernel's own limit on links followed in one lookup (ELOOP).
constexpr int kMaxLinks = 40;

// What `path` names once its symbolic links are followed: the file a write goes
// to. A dangling link names the file it would create.
fs::path follow_links(const std::string& path) {
  fs::path p(path);
  for (int i = 0; i < kMaxLinks; ++i) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    const fs::path to = fs::read_symlink(p, ec);
    if (ec) return p;
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  return p;
}

fs::path folder_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

const char* kind_text(fs::file_type t) {
  switch (t) {
    case fs::file_type::directory: return "a folder";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::symlink: return "a chain of too many symbolic links";
    default: return "not a regular file";
  }
}

// Why `target` (links already followed) cannot be replaced by a rename: "" when
// it is absent or a regular file.
std::string target_problem(const fs::path& target) {
  std::error_code ec;
  const fs::file_status s = fs::symlink_status(target, ec);
  if (!fs::exists(s) || fs::is_regular_file(s)) return "";
  return std::string("it is ") + kind_text(s.type()) + " (only a regular file is replaced)";
}

// Temporaries ".NAME.tmp.PID" of `target` whose process no longer exists: a save
// killed midway leaves one, and nothing else would ever remove it. PIDs are this
// machine's: a folder shared with another machine's live writer is not supported.
void remove_stale_temps(const fs::path& target) {
  std::string prefix = ".";  // piecewise, as in atomic_temp_path
  prefix += target.filename().string();
  prefix += ".tmp.";
  const long self = static_cast<long>(::getpid());
  std::error_code ec;
  for (fs::directory_iterator it(folder_of(target), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    long pid = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    const auto [end_of_pid, err] = std::from_chars(first, last, pid);
    if (err != std::errc() || end_of_pid != last || pid <= 0 || pid == self) continue;
    std::error_code type_ec;
    if (!fs::is_regular_file(fs::symlink_status(it->path(), type_ec))) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code rm_ec;
      fs::remove(it->path(), rm_ec);
    }
  }
}

}  // namespace

std::string atomic_temp_path(const std::string& path, long pid) {
  const fs::path p(path);
  std::string name = ".";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "." + string
  name += p.filename().string();
  name += ".tmp.";
  name += std::to_string(pid);
  return (p.parent_path() / name).string();
}

std::string folder_problem(const std::string& path) {
  const fs::path dir = folder_of(fs::path(path));
  std::error_code ec;
  const fs::file_status s = fs::status(dir, ec);
  if (!fs::exists(s)) return "the folder " + dir.string() + " does not exist";
  if (!fs::is_directory(s)) return dir.string() + " is not a folder";
  return "";
}

std::string atomic_write_problem(const std::string& path) {
  if (path.empty() || !fs::path(path).has_filename()) return "not a file name";
  const fs::path target = follow_links(path);
  std::string why = folder_problem(target.string());
  if (why.empty()) why = target_problem(target);
  if (!why.empty()) return why;
  // Only creating a file says whether the folder takes one (permissions, a
  // read-only file system); the probe is the temporary AtomicFile would use.
  const std::string temp = atomic_temp_path(target.string(), static_cast<long>(::getpid()));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) {
    ::close(fd);
    ::unlink(temp.c_str());
  } else if (errno != EEXIST) {  // one of a dead process with this PID: AtomicFile overwrites it
    return "cannot create a file in " + folder_of(target).string() + ": " + errno_text();
  }
  return "";
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  CUDANET_CHECK(!path_.empty() && fs::path(path_).has_filename(), "cannot write '", path_, "': not a file name");
  target_ = follow_links(path_).string();
  const std::string why = target_problem(target_);
  CUDANET_CHECK(why.empty(), "cannot write '", path_, "': ", why);
  remove_stale_temps(target_);
  temp_ = atomic_temp_path(target_, static_cast<long>(::getpid()));
  file_ = std::fopen(temp_.c_str(), "wb");
  CUDANET_CHECK(file_, "cannot write '", path_, "': cannot create temporary file '", temp_, "': ", errno_text());
  // The replacement keeps the file's permissions (a private checkpoint stays private).
  struct stat st;
  if (::stat(target_.c_str(), &st) == 0) ::fchmod(::fileno(file_), st.st_mode & 07777);
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
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
    const std::string e = errno_text();
    std::remove(temp_.c_str());
    CUDANET_FAIL("cannot write '", path_, "': renaming '", temp_, "' over it failed: ", e);
  }
  // Without this the rename may be lost on power failure; a folder that cannot
  // be opened (unusual permissions) still leaves a complete file behind.
  const std::string dir = folder_of(target_).string();
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
  if (!f) {
    const std::string why = errno_text();
    // A link to nothing reads as "No such file" though the name is there: say so.
    if (std::filesystem::is_symlink(path, ec) && !std::filesystem::exists(path, ec))
      CUDANET_FAIL("cannot read '", path, "': it is a symbolic link to '",
                   std::filesystem::read_symlink(path, ec).string(), "', which does not exist");
    CUDANET_FAIL("cannot read '", path, "': ", why);
  }
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
