// A dataset FrameSource over what osprey-ml archived: with training-frame
// collection on (`--training-frames`), every track_end event names a clean
// frame (frame_key) and lists every detection in it (frame_boxes), and
// Firehose writes the events as JSON lines under the bucket folder. This
// source reads those lines (uncompressed objects under <root>/<prefix>),
// keeps the track_end events of `stream` ("" : all streams) whose frame
// time is in [from_ms, to_ms], and yields their frames, oldest first, each
// once even when several events name it. The labels are the ones recorded
// live: no detector runs again.
//
// Errors: NotFound when root/prefix does not exist; a malformed event line
// or an unreadable image is skipped and counted (skipped()), since one bad
// object should not stop an export of thousands.
//
// Threading: one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/dataset.h"

namespace osprey::ml_hooks {

class ArchiveFrameSource : public FrameSource {
 public:
  static Result<std::unique_ptr<ArchiveFrameSource>> Open(const std::string& root,
                                                          const std::string& prefix,
                                                          const std::string& stream,
                                                          int64_t from_ms, int64_t to_ms);
  ~ArchiveFrameSource() override;

  Result<std::optional<Frame>> Next() override;
  std::pair<int64_t, int64_t> RangeMs() const override;

  // The detections recorded with the frame Next() returned last.
  const std::vector<Detection>& detections() const;
  int64_t skipped() const;

 private:
  ArchiveFrameSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace osprey::ml_hooks
