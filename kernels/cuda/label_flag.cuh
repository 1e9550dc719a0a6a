#pragma once
// The label flag of a device: the first out-of-range class label a kernel met,
// kept until check_label_flag (cross_entropy.cu) reads it. The kernels that
// take labels inside a training step (cross_entropy, one_hot) may neither throw
// nor make the host wait, so they write NaN where a label is bad and raise the
// flag. Shared by those stems; device code: included by .cu files only.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/cuda/context.h"

namespace cudanet::cuda {

// The op that met the label, for check_label_flag's message.
enum class LabelOp : int32_t { CrossEntropy = 1, OneHot = 2 };

struct LabelFlag {
  int set;  // 0 until a kernel raises it
  LabelOp op;
  int32_t label;
  int64_t row;
  int64_t classes;
};

// The flag of the current device (ctx_of and context() make a tensor's device
// current), in device memory: a __device__ variable, so raising it allocates nothing.
LabelFlag* label_flag(Context& c);

// The flag of c's device, read back (synchronises) and cleared if it was set.
LabelFlag take_label_flag(Context& c);

// Records the bad label unless an earlier one already did: the first one met wins.
__device__ __forceinline__ void raise_label_flag(LabelFlag* flag, LabelOp op, int32_t label, int64_t row,
                                                 int64_t classes) {
  if (atomicCAS(&flag->set, 0, 1) != 0) return;
  flag->op = op;
  flag->label = label;
  flag->row = row;
  flag->classes = classes;
}

}  // namespace cudanet::cuda
