// Decoding of YOLO and SSD outputs, NMS and class files (see dnn_decode.h).
#include "detectors/dnn_decode.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace osprey::ml_hooks::detectors {
namespace {

bool Wanted(const std::string& label, const DecodeOptions& options) {
  if (label.empty()) return false;
  if (options.labels.empty()) return true;
  return std::find(options.labels.begin(), options.labels.end(), label) !=
         options.labels.end();
}

// A box given by its corners in blob pixels, mapped to the frame and clipped.
Box ToFrame(double x1, double y1, double x2, double y2, const BlobGeometry& g) {
  const double left = (x1 - g.pad_x) / g.scale_x;
  const double top = (y1 - g.pad_y) / g.scale_y;
  const double right = (x2 - g.pad_x) / g.scale_x;
  const double bottom = (y2 - g.pad_y) / g.scale_y;
  return ClipBox(Box{left, top, right - left, bottom - top}, g.frame_width, g.frame_height);
}

std::string ShapeString(const std::vector<int>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

int64_t TensorView::Elements() const {
  if (shape.empty()) return 0;
  int64_t n = 1;
  for (int d : shape) n *= std::max(d, 0);
  return n;
}

std::string ClassLabel(int class_id, const DecodeOptions& options) {
  const int index = class_id - options.class_id_offset;
  if (index < 0) return "";
  if (static_cast<size_t>(index) < options.classes.size() &&
      !options.classes[index].empty()) {
    return options.classes[index];
  }
  return "class_" + std::to_string(class_id);
}

Result<std::vector<Detection>> DecodeYolo(const TensorView& output, const BlobGeometry& geometry,
                                          const DecodeOptions& options) {
  std::vector<int> dims = output.shape;
  if (dims.size() == 3 && dims[0] == 1) dims.erase(dims.begin());
  if (dims.size() != 2 || dims[0] <= 0 || dims[1] <= 0 || output.data == nullptr) {
    return Status::InvalidArgument("YOLO output must be [1,N,C] or [N,C], got " +
                                   ShapeString(output.shape));
  }
  const int classes = static_cast<int>(options.classes.size());
  auto fits = [&](int w) { return classes > 0 && (w == 4 + classes || w == 5 + classes); };
  bool transposed;
  if (fits(dims[1])) {
    transposed = false;
  } else if (fits(dims[0])) {
    transposed = true;
  } else if (classes > 0) {
    return Status::InvalidArgument("YOLO output " + ShapeString(output.shape) + " has no dim of " +
                                   std::to_string(4 + classes) + " or " +
                                   std::to_string(5 + classes) + " for " +
                                   std::to_string(classes) + " classes");
  } else {
    // YOLOv8 exports put the attributes first ([84, 8400]); real outputs
    // have far more candidates than attributes.
    transposed = dims[0] < dims[1];
  }
  const int rows = transposed ? dims[1] : dims[0];
  const int width = transposed ? dims[0] : dims[1];
  const bool objectness = classes > 0 ? width == 5 + classes : !transposed;
  const int first_class = objectness ? 5 : 4;
  if (width <= first_class) {
    return Status::InvalidArgument("YOLO rows of " + std::to_string(width) +
                                   " values hold no class scores");
  }
  auto at = [&](int row, int col) -> float {
    return transposed ? output.data[static_cast<int64_t>(col) * rows + row]
                      : output.data[static_cast<int64_t>(row) * width + col];
  };

  std::vector<Detection> out;
  for (int r = 0; r < rows; ++r) {
    const double obj = objectness ? at(r, 4) : 1.0;
    if (obj < options.min_score) continue;  // score = obj * class <= obj
    int best = -1;
    double best_score = 0;
    for (int c = first_class; c < width; ++c) {
      const double s = at(r, c);
      if (best < 0 || s > best_score) {
        best = c - first_class;
        best_score = s;
      }
    }
    const double score = obj * best_score;
    if (!(score >= options.min_score)) continue;
    const std::string label = ClassLabel(best + options.class_id_offset, options);
    if (!Wanted(label, options)) continue;
    const double cx = at(r, 0), cy = at(r, 1), w = at(r, 2), h = at(r, 3);
    Detection d;
    d.label = label;
    d.score = std::min(1.0, score);
    d.detector = "dnn";
    d.box = ToFrame(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, geometry);
    if (d.box.Area() <= 0) continue;
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Detection>> DecodeSsd(const TensorView& output, const BlobGeometry& geometry,
                                         const DecodeOptions& options) {
  const int64_t n = output.Elements();
  if (output.data == nullptr || n % 7 != 0 || output.shape.empty() || output.shape.back() != 7) {
    return Status::InvalidArgument("SSD output must be [1,1,N,7], got " +
                                   ShapeString(output.shape));
  }
  std::vector<Detection> out;
  for (int64_t i = 0; i < n / 7; ++i) {
    const float* row = output.data + i * 7;
    if (row[0] < 0) break;
    const double score = row[2];
    if (!(score >= options.min_score)) continue;
    const std::string label = ClassLabel(static_cast<int>(std::lround(row[1])), options);
    if (!Wanted(label, options)) continue;
    Detection d;
    d.label = label;
    d.score = std::clamp(score, 0.0, 1.0);
    d.detector = "dnn";
    d.box = ToFrame(row[3] * geometry.input_width, row[4] * geometry.input_height,
                    row[5] * geometry.input_width, row[6] * geometry.input_height, geometry);
    if (d.box.Area() <= 0) continue;
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<Detection> NonMaxSuppression(std::vector<Detection> detections,
                                         double iou_threshold) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (Detection& d : detections) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
      return k.label == d.label && IoU(k.box, d.box) > iou_threshold;
    });
    if (!overlaps) kept.push_back(std::move(d));
  }
  return kept;
}

Result<std::vector<std::string>> ReadClassNames(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("classes file not found: " + path);
  }
  std::ifstream in(path);
  if (!in) return Status::NotFound("classes file not readable: " + path);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    names.push_back(line);
  }
  // A final newline must not become an extra, unnamed class.
  while (!names.empty() && names.back().empty()) names.pop_back();
  if (names.empty()) return Status::InvalidArgument("classes file is empty: " + path);
  return names;
}

}  // namespace osprey::ml_hooks::detectors
