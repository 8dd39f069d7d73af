// Training-set export: turns frames and their detections into a YOLO or COCO
// dataset on disk (`osprey dataset export ... --format yolo|coco --out DIR`).
// The CLI supplies the frames (a FrameSource over a stored range) and the
// detector (a DetectFn); this module owns the on-disk layout.
//
// Layout of DIR (both formats):
//   .osprey-dataset          marker: format, labels, whether Finish() ran
//   images/<stem>.jpg        frames with at least one kept annotation
//   review/images/<stem>.jpg the hard-negative review set: frames with
//                            detections scored in [review_min_score, min_score)
// YOLO adds labels/<stem>.txt ("class_id cx cy w h", normalised, 6 decimals),
// data.yaml and classes.txt, and the same under review/. COCO adds
// annotations.json (and review/annotations.json, whose annotations are the
// uncertain detections with their scores). review/ is a complete dataset of
// the same format, so the same tools (and tests/integration/dataset_check.py)
// read it.
//
// <stem> is `<name_prefix>_<pts in ms, 13 digits>` (characters outside
// [A-Za-z0-9._-] in the prefix become '_'; `_<n>` is appended when two frames
// share a millisecond), so exporting the same range twice gives the same names.
//
// Re-exporting into DIR: Create() accepts a missing or empty directory, or
// one holding a previous export of the same format (its marker says so). The
// previous export is removed first, so no stale image of another range stays
// behind; any entry in DIR that an export does not write (a user's file) makes
// Create() refuse with AlreadyExists rather than delete it. Another format's
// export or a foreign non-empty directory: AlreadyExists.
//
// Durability: images and label files are written under a temporary name and
// renamed, so a crash never leaves a truncated JPEG under its final name.
// Finish() flushes the filesystem once, then writes the annotation files
// atomically (WriteFileAtomically): the annotation files only ever list
// images that are on disk. An export without data.yaml / annotations.json
// (and with "complete": false in the marker) was interrupted; export again.
//
// Thread safety: a DatasetWriter is not thread-safe; one export belongs to one
// thread. The free functions are pure and safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks {

enum class DatasetFormat { kYolo, kCoco };

// "yolo" or "coco" (exactly, lower case); InvalidArgument otherwise.
Result<DatasetFormat> ParseDatasetFormat(std::string_view name);
std::string_view DatasetFormatName(DatasetFormat format);

struct DatasetOptions {
  DatasetFormat format = DatasetFormat::kYolo;
  std::string out_dir;
  // The chosen labels, non-empty, distinct, no line breaks. Class ids follow
  // this order: YOLO 0-based, COCO category ids 1-based.
  std::vector<std::string> labels;
  // Detections scored >= min_score become annotations; those in
  // [review_min_score, min_score) go to the review set instead. Setting
  // review_min_score = min_score turns the review set off.
  double min_score = 0.5;
  double review_min_score = 0.2;
  int jpeg_quality = 90;    // 1..100
  std::string name_prefix;  // e.g. the stream name; "" -> "frame"
  // Write frames without any detection of a chosen label (not even an
  // uncertain one) to images/ as background (empty YOLO label file, COCO
  // image without annotations). Frames with only uncertain detections are
  // never background: they may well show an object.
  bool keep_empty_frames = false;
  // Clipped boxes narrower or shorter than this (pixels) are dropped.
  double min_box_size = 1.0;
  // When > 0, ShouldSample() refuses frames less than this many ms after the
  // last image written to images/, so a 30 fps range does not give thousands
  // of near-identical images. 0 keeps every frame.
  int64_t min_interval_ms = 0;
};

struct LabelCount {
  std::string label;
  int64_t annotations = 0;         // in images/
  int64_t review_annotations = 0;  // in review/
};

struct DatasetSummary {
  std::string out_dir;
  DatasetFormat format = DatasetFormat::kYolo;
  int64_t frames = 0;             // frames offered (ExportDataset: read from the source)
  int64_t images = 0;             // images in images/, background included
  int64_t background_images = 0;  // of which without annotations
  int64_t annotations = 0;
  int64_t review_images = 0;
  int64_t review_annotations = 0;
  int64_t dropped_boxes = 0;      // chosen-label boxes dropped as degenerate after clipping
  std::vector<LabelCount> per_label;  // in label order
};

// One export. Created by Create(); Add() per frame; Finish() once.
class DatasetWriter {
 public:
  virtual ~DatasetWriter() = default;

  // Validates `options` (InvalidArgument: empty or duplicate labels, scores
  // outside [0,1] or review_min_score > min_score, bad jpeg_quality, empty
  // out_dir or one that is not a directory) and prepares the directory (see
  // "Re-exporting" above; AlreadyExists; IOError from the filesystem).
  static Result<std::unique_ptr<DatasetWriter>> Create(const DatasetOptions& options);

  // Whether a frame at `pts_us` is worth detecting (min_interval_ms); the
  // driver asks before running the detector. Add() does not re-check.
  virtual bool ShouldSample(int64_t pts_us) const = 0;

  // Adds one frame with its detections (see DatasetOptions for which go
  // where). Returns whether the image was written to images/ (a frame that
  // only went to review/ returns false). InvalidArgument when the frame's
  // size does not match its bytes; IOError/Internal on write or encode
  // failure, after which no half-written pair is left; FailedPrecondition
  // after Finish().
  virtual Result<bool> Add(const Frame& frame, const std::vector<Detection>& detections) = 0;

  // Writes the annotation files and the final marker. Once only
  // (FailedPrecondition after).
  virtual Result<DatasetSummary> Finish() = 0;
};

// Where the driver reads frames from (the CLI wraps a stored-fragment range
// and the decoder; tests use a vector). Called from the driver's thread only.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // The next frame in pts order; nullopt at the end.
  virtual Result<std::optional<Frame>> Next() = 0;
  // The requested range in epoch ms, for progress; {0, 0} when unknown.
  virtual std::pair<int64_t, int64_t> RangeMs() const { return {0, 0}; }
};

using DetectFn = std::function<Result<std::vector<Detection>>(const Frame&)>;

struct ExportProgress {
  int64_t frames_read = 0;
  int64_t frames_written = 0;  // images written to images/
  int64_t position_ms = 0;     // pts of the last frame read
  int64_t from_ms = 0;         // the source's range; from_ms >= to_ms: unknown
  int64_t to_ms = 0;
};

// Reads every frame of `source`, detects (frames ShouldSample() refuses are
// skipped without detecting), adds, and finishes. `progress` (may be empty)
// runs after each frame and once at the end, on this thread. The first error
// from the source, the detector or the writer stops the export and is
// returned with context; the writer is then left unfinished (no annotation
// files), which the marker records.
Result<DatasetSummary> ExportDataset(FrameSource& source, const DetectFn& detect,
                                     DatasetWriter& writer,
                                     const std::function<void(const ExportProgress&)>& progress);

// One line for humans: "41 images (person 57, car 12), 5 for review, from 130
// frames -> /out (yolo)".
std::string FormatDatasetSummary(const DatasetSummary& summary);

// "[#####.....] 52% 130 frames, 41 images"; without a known range only
// "130 frames, 41 images". `bar_width` cells, at least 1.
std::string FormatExportProgress(const ExportProgress& progress, int bar_width = 10);

}  // namespace osprey::ml_hooks
