#include "pipeline/snapshots.h"

#include <ctime>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "osprey/base/file_util.h"

namespace osprey::ml_hooks::pipeline {
namespace {

Result<cv::Mat> View(const Frame& frame) {
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.bgr.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return Status::InvalidArgument("snapshot of an empty or inconsistent frame");
  }
  // OpenCV wants a mutable pointer; the Mat is only read (or cloned first).
  return cv::Mat(frame.height, frame.width, CV_8UC3, const_cast<char*>(frame.bgr.data()));
}

Result<std::string> Encode(const cv::Mat& image, int quality) {
  std::vector<uchar> out;
  if (!cv::imencode(".jpg", image, out, {cv::IMWRITE_JPEG_QUALITY, quality})) {
    return Status::Internal("JPEG encoding failed");
  }
  return std::string(out.begin(), out.end());
}

cv::Rect ToRect(const Box& b) {
  return cv::Rect(static_cast<int>(b.x), static_cast<int>(b.y), static_cast<int>(b.w),
                  static_cast<int>(b.h));
}

}  // namespace

Result<std::string> AnnotatedJpeg(const Frame& frame, const std::vector<DrawnBox>& boxes,
                                  int quality) {
  OSPREY_ASSIGN_OR_RETURN(cv::Mat view, View(frame));
  cv::Mat image = view.clone();
  const int thin = std::max(1, frame.width / 400);
  for (const DrawnBox& d : boxes) {
    const cv::Scalar colour = d.highlight ? cv::Scalar(0, 0, 255) : cv::Scalar(0, 200, 0);
    const cv::Rect r = ToRect(ClipBox(d.box, frame.width, frame.height));
    cv::rectangle(image, r, colour, d.highlight ? thin * 2 : thin);
    if (!d.caption.empty()) {
      const double scale = std::max(0.4, frame.width / 1600.0);
      int baseline = 0;
      const cv::Size text = cv::getTextSize(d.caption, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
      const int top = std::max(0, r.y - text.height - baseline - 2);
      cv::rectangle(image, cv::Rect(r.x, top, text.width + 4, text.height + baseline + 2), colour,
                    cv::FILLED);
      cv::putText(image, d.caption, cv::Point(r.x + 2, top + text.height + 1),
                  cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
    }
  }
  return Encode(image, quality);
}

Result<std::string> CropJpeg(const Frame& frame, const Box& box, int quality) {
  OSPREY_ASSIGN_OR_RETURN(cv::Mat view, View(frame));
  const Box grown{box.x - box.w * 0.1, box.y - box.h * 0.1, box.w * 1.2, box.h * 1.2};
  const cv::Rect r = ToRect(ClipBox(grown, frame.width, frame.height));
  if (r.width <= 0 || r.height <= 0) return Status::InvalidArgument("crop box is empty");
  return Encode(view(r), quality);
}

std::string ObjectKey(ObjectKind kind, const std::string& stream, int64_t frame_time_ms,
                      const std::string& event_id) {
  const time_t seconds = static_cast<time_t>(frame_time_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[40];
  std::snprintf(date, sizeof(date), "%04d/%02d/%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday);
  const bool crop = kind == ObjectKind::kCrop;
  return std::string(kind == ObjectKind::kTrainingFrame ? "training/" : "snapshots/") + stream +
         "/" + date + "/" + event_id + (crop ? "-crop.jpg" : ".jpg");
}

Status WriteObject(const std::string& root, const std::string& key, const std::string& bytes) {
  const std::string path = root + "/" + key;
  OSPREY_RETURN_IF_ERROR(MakeDirs(path.substr(0, path.rfind('/'))));
  AtomicWriteOptions options;
  options.sync = [](int) { return Status::Ok(); };  // see the header: no fsync
  options.sync_directory = false;
  return WriteFileAtomically(path, bytes, options);
}

}  // namespace osprey::ml_hooks::pipeline
