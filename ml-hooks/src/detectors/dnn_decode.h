// Pure decoding of object-detection network outputs into Detections, kept
// apart from cv::dnn so it can be tested on hand-built tensors (no model file
// is available offline). No OpenCV types here.
//
// Thread safety: free functions on values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks::detectors {

// A dense float tensor in row-major order.
struct TensorView {
  const float* data = nullptr;
  std::vector<int> shape;
  int64_t Elements() const;
};

// How the frame was turned into the network input: blob = frame * scale +
// pad, per axis. Decoders invert it and clip to the frame.
struct BlobGeometry {
  int input_width = 0;   // the blob's size, in pixels
  int input_height = 0;
  double scale_x = 1;
  double scale_y = 1;
  double pad_x = 0;
  double pad_y = 0;
  int frame_width = 0;
  int frame_height = 0;
};

struct DecodeOptions {
  double min_score = 0.5;
  std::vector<std::string> classes;  // index = class id - class_id_offset
  int class_id_offset = 0;           // ids below it are dropped (SSD background)
  std::vector<std::string> labels;   // keep only these; empty keeps all
};

// The label of a class id: its line of the classes file, or "class_<id>"
// when there is none. Empty when the id is below the offset.
std::string ClassLabel(int class_id, const DecodeOptions& options);

// YOLO output: rows of cx, cy, w, h in blob pixels, then either an
// objectness and per-class scores (YOLOv5) or class scores only (YOLOv8).
// Accepts [N, C'], [1, N, C'] and the transposed [1, C', N] of YOLOv8
// exports. With a classes file, the dim that is 4 + classes (no objectness)
// or 5 + classes (objectness) is the row, the last dim first; without one,
// the smaller dim is the row (real outputs have thousands of candidates) and
// objectness is present exactly when rows come last. InvalidArgument for
// shapes that fit neither.
Result<std::vector<Detection>> DecodeYolo(const TensorView& output, const BlobGeometry& geometry,
                                          const DecodeOptions& options);

// SSD DetectionOutput: [1, 1, N, 7] (or any shape of N * 7 floats) rows of
// image_id, class_id, confidence, x1, y1, x2, y2, corners normalised to the
// blob. Rows with image_id < 0 end the list (Caffe pads with -1).
Result<std::vector<Detection>> DecodeSsd(const TensorView& output, const BlobGeometry& geometry,
                                         const DecodeOptions& options);

// Greedy non-maximum suppression per label: of two boxes of one label with
// IoU above `iou_threshold`, the lower-scored goes. Returns best first.
std::vector<Detection> NonMaxSuppression(std::vector<Detection> detections,
                                         double iou_threshold);

// Class names, one per line; trailing spaces and CR are trimmed, blank lines
// kept as "" so line numbers stay class ids. NotFound naming the path.
Result<std::vector<std::string>> ReadClassNames(const std::string& path);

}  // namespace osprey::ml_hooks::detectors
