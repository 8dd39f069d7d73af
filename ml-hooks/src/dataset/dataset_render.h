// Pure text renderers for the dataset formats: file stems, YOLO label files,
// data.yaml, classes.txt and the COCO annotations document. Kept apart from
// the writer so each can be tested without a filesystem.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks::dataset {

// An annotation after filtering and clipping: a box inside the image.
struct Annotation {
  int class_index = 0;  // index into the chosen labels
  Box box;              // pixels, clipped
  double score = 0;
};

// The prefix with characters outside [A-Za-z0-9._-] replaced by '_' (stream
// names may hold ':' or '/', which are no good in file names); "frame" when
// empty.
std::string SanitizePrefix(std::string_view prefix);

// pts in µs -> ms, rounding towards negative infinity so a frame at -1 µs
// does not share a name with one at 0.
int64_t FloorMs(int64_t pts_us);

// "<prefix>_<ms, zero-padded to 13 digits>": 13 digits cover epoch ms until
// the year 2286, so names sort by time.
std::string StemFor(std::string_view sanitized_prefix, int64_t pts_us);

// One "class cx cy w h" line per annotation, normalised by the image size,
// 6 decimals.
std::string YoloLabelText(const std::vector<Annotation>& annotations, int width, int height);

// data.yaml as Ultralytics reads it: absolute `path`, train and val both the
// images/ folder (splitting is the trainer's business), nc, and names as a
// block list of single-quoted strings in class order.
std::string YoloDataYaml(const std::string& abs_dir, const std::vector<std::string>& labels);

// One label per line, in class order (Darknet's obj.names).
std::string ClassesTxt(const std::vector<std::string>& labels);

struct CocoImage {
  int64_t id = 0;         // 1-based, in write order
  std::string file_name;  // relative to images/
  int width = 0;
  int height = 0;
  int64_t pts_us = 0;     // date_captured when > 0
  std::vector<Annotation> annotations;
};

// The COCO document: info, licenses (empty), images, annotations (ids 1-based
// in order, bbox [x,y,w,h] pixels, area, iscrowd 0, score), categories (ids
// 1-based in label order).
std::string CocoJson(const std::vector<CocoImage>& images, const std::vector<std::string>& labels,
                     std::string_view description);

// "2024-05-01T12:00:00.250Z" (UTC) for an epoch time in µs.
std::string IsoTimeUtc(int64_t pts_us);

}  // namespace osprey::ml_hooks::dataset
