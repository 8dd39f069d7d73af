// The export driver and the CLI's text: ParseDatasetFormat, ExportDataset,
// FormatDatasetSummary, FormatExportProgress (see dataset.h).
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include "dataset/dataset_render.h"
#include "osprey/ml_hooks/dataset.h"

namespace osprey::ml_hooks {

Result<DatasetFormat> ParseDatasetFormat(std::string_view name) {
  if (name == "yolo") return DatasetFormat::kYolo;
  if (name == "coco") return DatasetFormat::kCoco;
  return Status::InvalidArgument("unknown dataset format '" + std::string(name) +
                                 "' (expected yolo or coco)");
}

std::string_view DatasetFormatName(DatasetFormat format) {
  return format == DatasetFormat::kCoco ? "coco" : "yolo";
}

Result<DatasetSummary> ExportDataset(FrameSource& source, const DetectFn& detect,
                                     DatasetWriter& writer,
                                     const std::function<void(const ExportProgress&)>& progress) {
  if (!detect) return Status::InvalidArgument("dataset export: no detector");
  ExportProgress p;
  std::tie(p.from_ms, p.to_ms) = source.RangeMs();
  p.position_ms = p.from_ms;
  while (true) {
    Result<std::optional<Frame>> next = source.Next();
    if (!next.ok()) return next.status().WithContext("dataset export: reading frames");
    if (!next->has_value()) break;
    const Frame& frame = **next;
    ++p.frames_read;
    p.position_ms = dataset::FloorMs(frame.pts_us);
    // Detection is the expensive step, so sampling is asked before it.
    if (writer.ShouldSample(frame.pts_us)) {
      const std::string where = "dataset export at " + std::to_string(p.position_ms) + " ms";
      Result<std::vector<Detection>> detections = detect(frame);
      if (!detections.ok()) return detections.status().WithContext(where + ": detecting");
      Result<bool> written = writer.Add(frame, *detections);
      if (!written.ok()) return written.status().WithContext(where);
      if (*written) ++p.frames_written;
    }
    if (progress) progress(p);
  }
  Result<DatasetSummary> summary = writer.Finish();
  if (!summary.ok()) return summary.status().WithContext("dataset export: finishing");
  // The writer counts frames it was given; the caller wants frames read,
  // including those sampling skipped.
  summary->frames = p.frames_read;
  // The last frame usually lies before the end of the range; the export is
  // nevertheless complete.
  if (p.to_ms > p.from_ms) p.position_ms = p.to_ms;
  if (progress) progress(p);
  return summary;
}

std::string FormatDatasetSummary(const DatasetSummary& s) {
  std::string out = std::to_string(s.images) + (s.images == 1 ? " image" : " images");
  std::string counts;
  for (const LabelCount& c : s.per_label) {
    if (!counts.empty()) counts += ", ";
    counts += c.label + " " + std::to_string(c.annotations);
  }
  if (s.background_images > 0) {
    counts += (counts.empty() ? "" : "; ") + std::to_string(s.background_images) + " background";
  }
  if (!counts.empty()) out += " (" + counts + ")";
  out += ", " + std::to_string(s.review_images) + " for review";
  out += ", from " + std::to_string(s.frames) + (s.frames == 1 ? " frame" : " frames");
  out += " -> " + s.out_dir + " (" + std::string(DatasetFormatName(s.format)) + ")";
  return out;
}

std::string FormatExportProgress(const ExportProgress& p, int bar_width) {
  const std::string tail = std::to_string(p.frames_read) +
                           (p.frames_read == 1 ? " frame, " : " frames, ") +
                           std::to_string(p.frames_written) +
                           (p.frames_written == 1 ? " image" : " images");
  if (p.to_ms <= p.from_ms) return tail;
  const int width = std::max(1, bar_width);
  const double fraction = std::clamp(
      static_cast<double>(p.position_ms - p.from_ms) / static_cast<double>(p.to_ms - p.from_ms),
      0.0, 1.0);
  // Floors, so the bar shows 100% only once the end is reached.
  const int filled = static_cast<int>(std::floor(fraction * width));
  const int percent = static_cast<int>(std::floor(fraction * 100));
  std::string out = "[";
  out.append(static_cast<size_t>(filled), '#');
  out.append(static_cast<size_t>(width - filled), '.');
  out += "] " + std::to_string(percent) + "% " + tail;
  return out;
}

}  // namespace osprey::ml_hooks
