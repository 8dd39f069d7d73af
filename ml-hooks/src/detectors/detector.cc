// MakeDetector and the helpers the detector kinds share.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include <opencv2/imgproc.hpp>

#include "detectors/detector_util.h"

namespace osprey::ml_hooks {
namespace detectors {

Result<cv::Mat> WrapFrame(const Frame& frame) {
  if (frame.width <= 0 || frame.height <= 0) {
    return Status::InvalidArgument("frame has no pixels (" + std::to_string(frame.width) +
                                   "x" + std::to_string(frame.height) + ")");
  }
  // 64-bit so an absurd width * height cannot wrap around and pass.
  const uint64_t expected =
      static_cast<uint64_t>(frame.width) * static_cast<uint64_t>(frame.height) * 3;
  if (frame.bgr.size() != expected) {
    return Status::InvalidArgument(
        "frame is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
        " but holds " + std::to_string(frame.bgr.size()) + " bytes, not " +
        std::to_string(expected));
  }
  // OpenCV headers are not const-aware; every detector only reads this Mat
  // (resizes and conversions write to new buffers).
  return cv::Mat(frame.height, frame.width, CV_8UC3,
                 const_cast<char*>(frame.bgr.data()));
}

Scaled DownscaleTo(const cv::Mat& image, int max_width) {
  if (max_width <= 0 || image.cols <= max_width) return Scaled{image, 1.0};
  const double factor = static_cast<double>(max_width) / image.cols;
  const int height = std::max(1, static_cast<int>(std::lround(image.rows * factor)));
  Scaled out;
  // INTER_AREA averages the dropped pixels, which also damps sensor noise.
  cv::resize(image, out.image, cv::Size(max_width, height), 0, 0, cv::INTER_AREA);
  out.to_original = static_cast<double>(image.cols) / max_width;
  return out;
}

Box ToOriginal(const cv::Rect2d& rect, double to_original, int width, int height) {
  return ClipBox(Box{rect.x * to_original, rect.y * to_original, rect.width * to_original,
                     rect.height * to_original},
                 width, height);
}

Status FromCvException(const cv::Exception& e, const std::string& what) {
  return Status::Internal(what + ": " + e.what());
}

Status CheckReadable(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (path.empty()) return Status::InvalidArgument(what + " path is empty");
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(what + " not found: " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(what + " not readable: " + path);
  return Status::Ok();
}

}  // namespace detectors

Result<std::unique_ptr<Detector>> MakeDetector(const DetectorConfig& config) {
  if (!(config.min_score >= 0 && config.min_score <= 1)) {
    return Status::InvalidArgument("min_score must be in [0,1], got " +
                                   std::to_string(config.min_score));
  }
  if (config.max_width < 0) {
    return Status::InvalidArgument("max_width must be >= 0, got " +
                                   std::to_string(config.max_width));
  }
  if (config.type == "motion") return detectors::MakeMotionDetector(config);
  if (config.type == "person") return detectors::MakePeopleDetector(config);
  if (config.type == "face") return detectors::MakeFaceDetector(config);
  if (config.type == "dnn") return detectors::MakeDnnDetector(config);
  return Status::InvalidArgument("unknown detector type \"" + config.type +
                                 "\" (motion, person, face, dnn)");
}

}  // namespace osprey::ml_hooks
