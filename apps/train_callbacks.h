#pragma once
// cudanet-train's callback flags: their checks, their line at the start, and
// the library callbacks (train/callbacks.h) they become.
#include <functional>
#include <memory>
#include <string>

#include "apps/train_cli.h"
#include "train/callbacks.h"
#include "train/checkpoint.h"

namespace cudanet::app {

// What the callbacks watch: --monitor, or the validation loss when there is a
// validation split (Keras's default), else the training loss.
std::string monitor_of(const TrainArgs& a);

// A flag that tunes a callback needs the callback; what is monitored must exist
// in this run; a loss flag must fit the loss. Throws UsageError; run before any
// data is read.
void check_callback_flags(const TrainArgs& a);

// What the callbacks do, in a line ("" when there are none).
std::string callbacks_text(const TrainArgs& a);

// "1 epoch", "3 epochs".
std::string epochs_text(int n);

struct TrainCallbacks {
  std::shared_ptr<EarlyStopping> stopper;  // --early-stopping
  std::shared_ptr<ModelCheckpoint> saver;  // --save
  // Ctrl-C writes the mid-epoch state to --save when it is one file written
  // every epoch; a pattern or --save-best-only keeps whole epochs only.
  bool save_on_interrupt = false;
};

// Appends the callbacks the flags ask for to fo.callbacks, in this order: early
// stopping, the plateau (which prints its reductions unless --quiet), the
// checkpoint (`info` gives an epoch's metadata), the CSV log (continued when
// `resumed`).
TrainCallbacks add_train_callbacks(const TrainArgs& a, FitOptions& fo, bool resumed,
                                   std::function<CheckpointInfo(const EpochStats&)> info);

// The lines early stopping leaves at the end: where it stopped, whose weights the model holds.
void report_early_stopping(const TrainArgs& a, const EarlyStopping& stopper);

}  // namespace cudanet::app
