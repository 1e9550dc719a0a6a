// Writes a small seed corpus for the fuzz targets: valid IDX files of every
// type, plain and gzip, valid safetensors files and valid model descriptions.
// usage: make_seeds IDX_DIR ST_DIR [MODEL_DIR [CHECKPOINT_DIR]]
#include <cstdio>
#include <fstream>
#include <string>

#include "io/idx.h"
#include "io/safetensors.h"
#include "layers/zoo.h"

int main(int argc, char** argv) {
  using namespace cudanet;
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: %s IDX_DIR SAFETENSORS_DIR [MODEL_DIR [CHECKPOINT_DIR]]\n", argv[0]);
    return 2;
  }
  const std::string idx_dir = argv[1], st_dir = argv[2];
  int k = 0;
  for (IdxType t : {IdxType::u8, IdxType::i8, IdxType::i16, IdxType::i32, IdxType::f32, IdxType::f64})
    for (const std::vector<int64_t>& dims : {std::vector<int64_t>{3}, {2, 3}, {2, 2, 2}, {}, {0, 4}})
      for (bool gz : {false, true}) {
        IdxArray a = IdxArray::zeros(t, dims);
        for (size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = static_cast<uint8_t>(i * 37);
        write_idx(idx_dir + "/seed" + std::to_string(k++) + (gz ? ".gz" : ""), a, gz);
      }
  save_safetensors(st_dir + "/one.safetensors", {{"a", Tensor::from_vector<float>({1, 2, 3}, {3})}});
  save_safetensors(st_dir + "/all.safetensors",
                   {{"w", Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2})},
                    {"b", Tensor::from_vector<double>({0.5}, {1})},
                    {"i", Tensor::from_vector<int32_t>({-1, 7}, {2})},
                    {"u", Tensor::from_vector<uint8_t>({9}, {1, 1, 1})},
                    {"s", Tensor::scalar(2.0)},
                    {"e", Tensor::empty({0, 2})}},
                   {{"format", "pt"}, {"epoch", "1"}});
  save_safetensors(st_dir + "/empty.safetensors", {});
  if (argc >= 4) {
    // fuzz_model's input: three bytes of shape (C, H, W) = (1, 28, 28), then the description.
    k = 0;
    for (const char* d : {kSeedCnn, kLenet5, kMlp,
                          "conv8x3s2p1-relu-avgpool2-conv4x3same-bn-tanh-flatten-dropout0.5-dense10",
                          "conv4x5p2-leakyrelu-pool3s2-conv6x3s1p0-leakyrelu0.2-maxpool2s1p1-flatten-dense7-dense3",
                          "flatten-bn-dropout.25-dense010-leakyrelu.5-tanh"})
      std::ofstream(std::string(argv[3]) + "/seed" + std::to_string(k++)) << std::string("\x00\x1b\x1b", 3) << d;
  }
  if (argc == 5) {
    // fuzz_checkpoint's input: edits of a valid checkpoint's metadata (none: load it as is).
    k = 0;
    for (const char* edits : {"", "lr=0.5\nepoch=3", "batch=19\nglobal_step=19", "input_shape=3,32,32\nnum_classes=100",
                              "train_size\nbatch_size", "pixel_mean\npixel_std", "model=lenet5\noptimizer=sgd"})
      std::ofstream(std::string(argv[4]) + "/seed" + std::to_string(k++)) << edits;
  }
  return 0;
}
