// CsvLogger: one row per epoch, as Keras's CSVLogger, continued by a resumed run.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "io/file_io.h"
#include "train/callbacks.h"

namespace cudanet {

namespace {

std::string header(bool has_val) {
  std::string h = "epoch,loss,accuracy";
  if (has_val) h += ",val_loss,val_accuracy";
  h += ",lr,seconds,images_per_second";
  return h;
}

}  // namespace

CsvLogger::CsvLogger(std::string path, bool append) : path_(std::move(path)), append_(append) {
  CUDANET_CHECK(!path_.empty(), "CSV log: no file path");
}

CsvLogger::~CsvLogger() {
  if (f_) std::fclose(f_);
}

void CsvLogger::on_train_begin(TrainState& s) {
  if (f_) std::fclose(f_), f_ = nullptr;
  const std::string head = header(s.has_validation);
  header_written_ = false;
  std::error_code ec;
  const bool append = append_ && std::filesystem::is_regular_file(path_, ec);
  if (append) {
    const std::vector<uint8_t> bytes = read_file(path_);
    const std::string text(bytes.begin(), bytes.end());
    if (!text.empty()) {
      const std::string first = text.substr(0, text.find('\n'));
      CUDANET_CHECK(first == head, "CSV log ", path_, ": its columns are '", first.substr(0, 200),
                    "', this run writes '", head, "' (write a new file)");
      // Rows of epochs after the run's history are trained again: drop them.
      std::string kept;
      for (size_t at = 0; at < text.size();) {
        const size_t end = std::min(text.find('\n', at), text.size());
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        if (at > first.size() + 1 && std::atoll(line.c_str()) > static_cast<long long>(s.history.size())) continue;
        kept += line + "\n";
      }
      if (kept != text) write_file_atomic(path_, kept.data(), kept.size());
      header_written_ = true;
    }
  }
  f_ = std::fopen(path_.c_str(), append ? "a" : "w");
  CUDANET_CHECK(f_ != nullptr, "CSV log ", path_, ": cannot open for writing: ", std::strerror(errno));
  if (!header_written_) {
    std::fprintf(f_, "%s\n", head.c_str());
    std::fflush(f_);
    header_written_ = true;
  }
}

void CsvLogger::on_epoch_end(const EpochStats& e, TrainState&) {
  CUDANET_CHECK(f_ != nullptr, "CSV log ", path_, ": on_epoch_end before on_train_begin");
  std::string row = std::to_string(e.epoch);
  auto add = [&row](double v) {
    row += ',';
    row += float_text(v);
  };
  add(e.loss), add(e.accuracy);
  if (e.has_val) add(e.val_loss), add(e.val_accuracy);
  add(e.lr), add(e.seconds), add(e.images_per_second);
  row += '\n';
  CUDANET_CHECK(std::fputs(row.c_str(), f_) >= 0 && std::fflush(f_) == 0, "CSV log ", path_,
                ": cannot write: ", std::strerror(errno));
}

void CsvLogger::on_train_end(TrainState&) {
  if (f_) std::fflush(f_);
}

}  // namespace cudanet
