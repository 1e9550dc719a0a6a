// io/file_io's atomic write where the path holds something other than a plain
// file, or a previous writer was killed: what it refuses, follows, keeps and cleans.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "io/file_io.h"
#include "io_test_util.h"

using namespace cudanet;
using namespace cudanet::test;
namespace fs = std::filesystem;

namespace {

void write_text(const std::string& path, const std::string& text) { write_file_atomic(path, text.data(), text.size()); }

std::string read_text(const std::string& path) {
  const std::vector<uint8_t> b = read_file(path);
  return std::string(b.begin(), b.end());
}

// The PID of a process that has exited and been reaped.
long dead_pid() {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return static_cast<long>(pid);
}

}  // namespace

TEST_CASE("atomic write refuses to replace a folder or a FIFO", "[file_io]") {
  // As root, --save /dev/full replaced the device node with a regular file.
  const std::string dir = temp_dir("fio-special");
  const std::string folder = dir + "/folder", fifo = dir + "/fifo";
  fs::create_directory(folder);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(write_text(folder, "x"), Catch::Contains("cannot write '" + folder + "': it is a folder"));
  CHECK_THROWS_WITH(write_text(fifo, "x"), Catch::Contains("cannot write '" + fifo + "': it is a FIFO"));
  CHECK(fs::is_directory(fs::symlink_status(folder)));
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  CHECK(atomic_write_problem(fifo) == "it is a FIFO (only a regular file is replaced)");
  CHECK(atomic_write_problem(dir + "/fresh") == "");
  CHECK(fs::is_empty(folder));
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2);  // the probe left nothing
}

TEST_CASE("atomic write goes through a symbolic link to its target", "[file_io]") {
  // Replacing the link left its target stale; the link now stays a link.
  const std::string dir = temp_dir("fio-link");
  fs::create_directory(dir + "/real");
  const std::string target = dir + "/real/ck.bin", link = dir + "/ck.bin";
  write_text(target, "old");
  fs::create_symlink("real/ck.bin", link);  // relative, as `ln -s` makes them
  write_text(link, "new");
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(fs::read_symlink(link) == "real/ck.bin");
  CHECK(read_text(target) == "new");
  // A dangling link creates the file it names.
  const std::string dangling = dir + "/dangling.bin";
  fs::create_symlink("real/later.bin", dangling);
  write_text(dangling, "made");
  CHECK(fs::is_symlink(fs::symlink_status(dangling)));
  CHECK(read_text(dir + "/real/later.bin") == "made");
}

TEST_CASE("atomic write keeps an existing file's permissions", "[file_io]") {
  // The mode changed to 644 (the umask's) on every save.
  const std::string dir = temp_dir("fio-mode");
  const std::string path = dir + "/ck.bin";
  for (const fs::perms mode : {fs::perms::owner_read | fs::perms::owner_write,
                               fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read}) {
    write_text(path, "a");
    fs::permissions(path, mode);
    write_text(path, "b");
    CHECK(fs::status(path).permissions() == mode);
    CHECK(read_text(path) == "b");
  }
}

TEST_CASE("atomic write removes the temporaries of killed writers of the same target", "[file_io]") {
  // 9 of 60 killed saves left .NAME.tmp.PID files forever (161 MB).
  const std::string dir = temp_dir("fio-stale");
  const std::string path = dir + "/ck.bin";
  const std::string stale = atomic_temp_path(path, dead_pid());
  const std::string live = atomic_temp_path(path, static_cast<long>(::getppid()));  // a writer still running
  const std::string other = atomic_temp_path(dir + "/other.bin", dead_pid());      // another target's
  for (const std::string& t : {stale, live, other}) write_raw(t, {1, 2, 3});
  write_text(path, "x");
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));
  CHECK(read_text(path) == "x");
}
