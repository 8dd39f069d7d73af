// What every detector implementation shares: checking and wrapping a Frame
// as a cv::Mat without copying, downscaling to max_width, and mapping boxes
// back to the original frame. Private to ml-hooks (OpenCV types).
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/detector.h"

namespace osprey::ml_hooks::detectors {

// The frame's pixels as a read-only CV_8UC3 header over frame.bgr (no copy;
// valid while `frame` is alive and unmodified). InvalidArgument when the
// size does not match width * height * 3.
Result<cv::Mat> WrapFrame(const Frame& frame);

// A view of `image` whose width is at most max_width (0: unchanged), and the
// factor that maps its coordinates back (original = scaled * factor).
struct Scaled {
  cv::Mat image;
  double to_original = 1.0;
};
Scaled DownscaleTo(const cv::Mat& image, int max_width);

// `rect` of an image scaled by `to_original`, in the original's pixels,
// clipped to width x height.
Box ToOriginal(const cv::Rect2d& rect, double to_original, int width, int height);

// Internal Status from an OpenCV exception, prefixed with what failed.
Status FromCvException(const cv::Exception& e, const std::string& what);

// NotFound naming `path` when it is not a readable regular file.
Status CheckReadable(const std::string& path, const std::string& what);

// Factories of each kind; config is already checked for the common fields.
// The outer layer every OpenCV detector shares: the frame is checked and
// wrapped (no copy), and an OpenCV exception becomes Internal naming `what`,
// so a detector body only ever sees a valid image.
class CvDetector : public Detector {
 public:
  CvDetector(const DetectorConfig& config, std::string what)
      : config_(config), what_(std::move(what)) {}

  const DetectorConfig& config() const final { return config_; }

  Result<std::vector<Detection>> Detect(const Frame& frame) final {
    OSPREY_ASSIGN_OR_RETURN(cv::Mat image, WrapFrame(frame));
    try {
      return DetectIn(image);
    } catch (const cv::Exception& e) {
      return FromCvException(e, what_);
    }
  }

 protected:
  virtual Result<std::vector<Detection>> DetectIn(const cv::Mat& image) = 0;

  const DetectorConfig config_;

 private:
  const std::string what_;
};

Result<std::unique_ptr<Detector>> MakeMotionDetector(const DetectorConfig& config);
Result<std::unique_ptr<Detector>> MakePeopleDetector(const DetectorConfig& config);
Result<std::unique_ptr<Detector>> MakeFaceDetector(const DetectorConfig& config);
Result<std::unique_ptr<Detector>> MakeDnnDetector(const DetectorConfig& config);

}  // namespace osprey::ml_hooks::detectors
