// DatasetWriter: filters detections, writes images and label files as frames
// arrive, and the annotation files at Finish() (see dataset.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>
#include <unordered_map>

#include "dataset/dataset_render.h"
#include "dataset/jpeg_encode.h"
#include "dataset/output_dir.h"
#include "osprey/base/file_util.h"
#include "osprey/ml_hooks/dataset.h"

namespace osprey::ml_hooks {
namespace {

using dataset::Annotation;

// Images and label files are renamed into place but not fsynced one by one:
// an export writes thousands, and Finish() flushes them all with one
// syncfs() before the annotation files that reference them.
AtomicWriteOptions UnsyncedWrite() {
  AtomicWriteOptions o;
  o.sync = [](int) { return Status::Ok(); };
  o.sync_directory = false;
  return o;
}

Status SyncFilesystemOf(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open " + dir, errno);
  const int rc = syncfs(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return Status::FromErrno("syncfs " + dir, err);
  return Status::Ok();
}

Status ValidateOptions(const DatasetOptions& o) {
  if (o.out_dir.empty()) return Status::InvalidArgument("dataset: empty output directory");
  if (o.labels.empty()) return Status::InvalidArgument("dataset: no labels chosen");
  std::set<std::string_view> seen;
  for (const std::string& label : o.labels) {
    if (label.empty() || label.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("dataset: label '" + label + "' is empty or has a line break");
    }
    if (!seen.insert(label).second) {
      return Status::InvalidArgument("dataset: label '" + label + "' chosen twice");
    }
  }
  // Written so that NaN fails every test.
  if (!(o.review_min_score >= 0 && o.review_min_score <= o.min_score && o.min_score <= 1)) {
    return Status::InvalidArgument(
        "dataset: scores must satisfy 0 <= review_min_score <= min_score <= 1");
  }
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100) {
    return Status::InvalidArgument("dataset: jpeg_quality must be in 1..100");
  }
  if (!(o.min_box_size >= 0) || o.min_interval_ms < 0) {
    return Status::InvalidArgument("dataset: negative min_box_size or min_interval_ms");
  }
  return Status::Ok();
}

class DatasetWriterImpl final : public DatasetWriter {
 public:
  DatasetWriterImpl(const DatasetOptions& options, std::string abs_dir)
      : options_(options), prefix_(dataset::SanitizePrefix(options.name_prefix)) {
    main_.dir = options.out_dir;
    main_.abs_dir = abs_dir;
    review_.dir = options.out_dir + "/review";
    review_.abs_dir = abs_dir + "/review";
    for (size_t i = 0; i < options.labels.size(); ++i) {
      label_index_[options.labels[i]] = static_cast<int>(i);
      summary_.per_label.push_back(LabelCount{options.labels[i], 0, 0});
    }
    summary_.out_dir = options.out_dir;
    summary_.format = options.format;
  }

  bool ShouldSample(int64_t pts_us) const override {
    if (options_.min_interval_ms <= 0 || !last_written_ms_) return true;
    return dataset::FloorMs(pts_us) - *last_written_ms_ >= options_.min_interval_ms;
  }

  Result<bool> Add(const Frame& frame, const std::vector<Detection>& detections) override;
  Result<DatasetSummary> Finish() override;

 private:
  // images/ (and labels/) of the main set or of review/.
  struct Split {
    std::string dir;
    std::string abs_dir;
    std::vector<dataset::CocoImage> coco_images;  // COCO only, until Finish()
    int64_t images = 0;
  };

  std::string UniqueStem(int64_t pts_us);
  Status WriteEntry(Split& split, const std::string& stem, const std::string& jpeg,
                    const Frame& frame, const std::vector<Annotation>& annotations);
  Status WriteAnnotationFiles(const Split& split, std::string_view description);

  const DatasetOptions options_;
  const std::string prefix_;
  std::unordered_map<std::string, int> label_index_;
  std::set<std::string> used_stems_;
  Split main_;
  Split review_;
  DatasetSummary summary_;
  std::optional<int64_t> last_written_ms_;
  bool finished_ = false;
};

std::string DatasetWriterImpl::UniqueStem(int64_t pts_us) {
  const std::string base = dataset::StemFor(prefix_, pts_us);
  std::string stem = base;
  // Frames sharing a millisecond (duplicated pts, > 1000 fps) get _1, _2...
  // in the order they come, which is the same in every export of the range.
  for (int n = 1; used_stems_.count(stem) != 0; ++n) stem = base + "_" + std::to_string(n);
  used_stems_.insert(stem);
  return stem;
}

Status DatasetWriterImpl::WriteEntry(Split& split, const std::string& stem,
                                     const std::string& jpeg, const Frame& frame,
                                     const std::vector<Annotation>& annotations) {
  const std::string image_path = split.dir + "/images/" + stem + ".jpg";
  if (options_.format == DatasetFormat::kYolo) {
    // Label file first: YOLO trainers treat an image without one as pure
    // background, so a crash between the two must not leave the image alone.
    const std::string label_path = split.dir + "/labels/" + stem + ".txt";
    OSPREY_RETURN_IF_ERROR(WriteFileAtomically(
        label_path, dataset::YoloLabelText(annotations, frame.width, frame.height),
        UnsyncedWrite()));
    Status st = WriteFileAtomically(image_path, jpeg, UnsyncedWrite());
    if (!st.ok()) {
      unlink(label_path.c_str());
      return st;
    }
  } else {
    OSPREY_RETURN_IF_ERROR(WriteFileAtomically(image_path, jpeg, UnsyncedWrite()));
    dataset::CocoImage image;
    image.id = static_cast<int64_t>(split.coco_images.size()) + 1;
    image.file_name = stem + ".jpg";
    image.width = frame.width;
    image.height = frame.height;
    image.pts_us = frame.pts_us;
    image.annotations = annotations;
    split.coco_images.push_back(std::move(image));
  }
  ++split.images;
  return Status::Ok();
}

Result<bool> DatasetWriterImpl::Add(const Frame& frame, const std::vector<Detection>& detections) {
  if (finished_) return Status::FailedPrecondition("dataset: Add() after Finish()");
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.bgr.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return Status::InvalidArgument("dataset: frame size does not match its bytes");
  }
  ++summary_.frames;

  std::vector<Annotation> kept;
  std::vector<Annotation> review;
  bool any_candidate = false;  // a chosen label at >= review_min_score
  int64_t dropped = 0;
  for (const Detection& d : detections) {
    auto it = label_index_.find(d.label);
    if (it == label_index_.end()) continue;
    const bool keep = d.score >= options_.min_score;
    if (!keep && !(d.score >= options_.review_min_score && d.score < options_.min_score)) continue;
    any_candidate = true;
    const Box& b = d.box;
    if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.w) ||
        !std::isfinite(b.h)) {
      ++dropped;
      continue;
    }
    const Box clipped = ClipBox(b, frame.width, frame.height);
    if (clipped.w <= 0 || clipped.h <= 0 || clipped.w < options_.min_box_size ||
        clipped.h < options_.min_box_size) {
      ++dropped;
      continue;
    }
    (keep ? kept : review).push_back(Annotation{it->second, clipped, d.score});
  }
  summary_.dropped_boxes += dropped;

  const bool background = kept.empty() && !any_candidate && options_.keep_empty_frames;
  const bool to_main = !kept.empty() || background;
  if (!to_main && review.empty()) return false;

  OSPREY_ASSIGN_OR_RETURN(std::string jpeg, dataset::EncodeJpeg(frame, options_.jpeg_quality));
  const std::string stem = UniqueStem(frame.pts_us);
  // Counts move only once their files are written, so a failed Add() leaves
  // the summary matching the disk.
  if (to_main) {
    OSPREY_RETURN_IF_ERROR(WriteEntry(main_, stem, jpeg, frame, kept));
    for (const Annotation& a : kept) ++summary_.per_label[a.class_index].annotations;
    summary_.annotations += static_cast<int64_t>(kept.size());
    if (background) ++summary_.background_images;
    last_written_ms_ = dataset::FloorMs(frame.pts_us);
  }
  if (!review.empty()) {
    OSPREY_RETURN_IF_ERROR(WriteEntry(review_, stem, jpeg, frame, review));
    for (const Annotation& a : review) ++summary_.per_label[a.class_index].review_annotations;
    summary_.review_annotations += static_cast<int64_t>(review.size());
  }
  return to_main;
}

Status DatasetWriterImpl::WriteAnnotationFiles(const Split& split, std::string_view description) {
  if (options_.format == DatasetFormat::kYolo) {
    OSPREY_RETURN_IF_ERROR(WriteFileAtomically(
        split.dir + "/data.yaml", dataset::YoloDataYaml(split.abs_dir, options_.labels)));
    return WriteFileAtomically(split.dir + "/classes.txt", dataset::ClassesTxt(options_.labels));
  }
  return WriteFileAtomically(split.dir + "/annotations.json",
                             dataset::CocoJson(split.coco_images, options_.labels, description));
}

Result<DatasetSummary> DatasetWriterImpl::Finish() {
  if (finished_) return Status::FailedPrecondition("dataset: Finish() called twice");
  // Every image and label file reaches the disk before a document lists it.
  OSPREY_RETURN_IF_ERROR(SyncFilesystemOf(main_.dir));
  const std::string name = options_.name_prefix.empty() ? prefix_ : options_.name_prefix;
  OSPREY_RETURN_IF_ERROR(WriteAnnotationFiles(main_, "osprey export of " + name));
  OSPREY_RETURN_IF_ERROR(
      WriteAnnotationFiles(review_, "osprey export of " + name +
                                        ": review set (detections below min_score)"));
  summary_.images = main_.images;
  summary_.review_images = review_.images;
  OSPREY_RETURN_IF_ERROR(dataset::WriteCompleteMarker(main_.dir, options_.labels, summary_));
  finished_ = true;
  return summary_;
}

}  // namespace

Result<std::unique_ptr<DatasetWriter>> DatasetWriter::Create(const DatasetOptions& options) {
  OSPREY_RETURN_IF_ERROR(ValidateOptions(options));
  OSPREY_RETURN_IF_ERROR(
      dataset::PrepareOutputDir(options.out_dir, options.format, options.labels));
  // data.yaml needs an absolute path: Ultralytics resolves a relative one
  // against its own datasets folder, not the yaml's.
  char* resolved = realpath(options.out_dir.c_str(), nullptr);
  if (resolved == nullptr) return Status::FromErrno("realpath " + options.out_dir, errno);
  std::string abs_dir(resolved);
  std::free(resolved);
  return std::unique_ptr<DatasetWriter>(new DatasetWriterImpl(options, std::move(abs_dir)));
}

}  // namespace osprey::ml_hooks
