#pragma once
// cudanet: the whole public API in one include. Compiles with any C++20
// compiler: no CUDA header is reachable from here.
#include "core/version.h"

#include "core/algo.h"
#include "core/autograd.h"
#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "core/threads.h"

#include "layers/layers.h"
#include "layers/model_spec.h"
#include "layers/module.h"
#include "layers/sequential.h"
#include "layers/zoo.h"

#include "optim/adam.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "optim/rmsprop.h"
#include "optim/schedule.h"
#include "optim/sgd.h"

#include "io/dataset.h"
#include "io/file_io.h"
#include "io/idx.h"
#include "io/loader.h"
#include "io/mnist.h"
#include "io/safetensors.h"

#include "train/checkpoint.h"
#include "train/epoch_stats.h"
#include "train/fit.h"
#include "train/metrics.h"
#include "train/plot.h"
#include "train/progress.h"
