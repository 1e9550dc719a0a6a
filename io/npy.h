#pragma once
// NumPy's .npy format, version 1.0 (numpy.lib.format): the magic "\x93NUMPY",
// the version bytes 1 0, a little-endian uint16 header length, then a Python
// dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, K), }
// padded with spaces and ended by '\n' so the data starts 64-byte aligned (as
// numpy.save writes it), then the elements in C order, little-endian.
// numpy.load reads what we write.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace cudanet {

// The header of a tensor's file, from the magic to the '\n' before the data.
std::vector<uint8_t> npy_header(DType dtype, const Shape& shape);

// `t` from any device, every dtype cudanet has ('<f4', '<f8', '<i4', '|u1'),
// written atomically (io/file_io.h's AtomicFile).
void write_npy(const std::string& path, const Tensor& t);

}  // namespace cudanet
