// Snapshots: the JPEG images an event points at (snapshot_key: the whole
// frame with the event's boxes drawn; crop_key: the object alone), stored as
// objects under a root folder with S3-style keys:
//   snapshots/<stream>/<yyyy>/<mm>/<dd>/<event_id>.jpg
//   snapshots/<stream>/<yyyy>/<mm>/<dd>/<event_id>-crop.jpg
// and, when training-frame collection is on, the clean frame (no boxes):
//   training/<stream>/<yyyy>/<mm>/<dd>/<event_id>.jpg
// Pointing the root at the Firehose bucket folder (DATA_DIR/s3/<bucket>)
// keeps them beside the event archive, where the console and the dataset
// exporter find them by key.
//
// Objects are written atomically (temporary file + rename) but not
// fsync'd: a snapshot lost in a power cut costs an image, not an event, and
// syncing every image would put disk latency on the detection path.
//
// Thread safety: free functions.
#pragma once

#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks::pipeline {

struct DrawnBox {
  Box box;
  std::string caption;  // "person 0.87 #12"
  bool highlight = false;  // the event's own object: thicker, red
};

// The frame with boxes drawn, as JPEG.
Result<std::string> AnnotatedJpeg(const Frame& frame, const std::vector<DrawnBox>& boxes,
                                  int quality = 85);
// The box's region (with a 10% margin, clipped), as JPEG. InvalidArgument
// when the box is empty after clipping.
Result<std::string> CropJpeg(const Frame& frame, const Box& box, int quality = 90);

enum class ObjectKind { kSnapshot, kCrop, kTrainingFrame };
std::string ObjectKey(ObjectKind kind, const std::string& stream, int64_t frame_time_ms,
                      const std::string& event_id);

// Writes `bytes` to root/key, creating folders.
Status WriteObject(const std::string& root, const std::string& key, const std::string& bytes);

}  // namespace osprey::ml_hooks::pipeline
