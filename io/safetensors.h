#pragma once
// safetensors files (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header mapping each tensor name to its
// dtype, shape and [begin, end) byte range in the data section, an optional
// "__metadata__" map of strings, then the raw little-endian data. The reference
// implementation (and so PyTorch, NumPy, JAX) reads what we write and we read
// what it writes, for the dtypes cudanet has: F32, F64, I32, U8.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace cudanet {

using TensorMetadata = std::map<std::string, std::string>;

struct SafetensorsFile {
  NamedTensors tensors;  // on the CPU, in the order of their data in the file
  TensorMetadata metadata;
};

// Tensors from any device, written in the given order, the header padded with
// spaces so the data starts 8-byte aligned. Written atomically: a temporary file
// in the same folder, fsync, rename over `path`, fsync of the folder, so a crash
// or kill mid-save leaves the previous file intact.
void save_safetensors(const std::string& path, const NamedTensors& tensors, const TensorMetadata& metadata = {});
// The same file image in memory.
std::vector<uint8_t> encode_safetensors(const NamedTensors& tensors, const TensorMetadata& metadata = {});

// Reads and validates everything: the header length against the file size, the
// JSON, each entry's fields, dtype, shape and byte range (which must match
// shape x dtype size), and that the ranges tile the data section exactly: no
// overlap, no gap, no trailing bytes (the reference implementation's rules).
// Every defect is an Error naming the file (`name` for a buffer).
SafetensorsFile load_safetensors(const std::string& path);
SafetensorsFile load_safetensors_bytes(const void* data, size_t size, const std::string& name);

// Every difference between the tensors a model expects and those loaded: names
// missing, names unexpected, shapes and dtypes that differ; one line each, in
// the expected order. Empty when they match.
std::vector<std::string> compatibility_report(const NamedTensors& expected, const NamedTensors& loaded);
// Throws one Error listing the whole report; `source` names the file.
void check_compatible(const NamedTensors& expected, const NamedTensors& loaded, const std::string& source);

}  // namespace cudanet
