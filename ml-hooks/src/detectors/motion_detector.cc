// "motion": MOG2 background subtraction, then morphology and contours.
//
// Learning: during warm-up OpenCV's automatic rate (1 / min(2n, history))
// lets the model settle in a second or two, including forgetting an object
// that was in the first frame and then left. After warm-up the rate is fixed
// at 1 / history, so an object that keeps moving is not absorbed into the
// background; one that stops fades into it after a few dozen frames, which is
// what "motion" should mean.
#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>

#include "detectors/detector_util.h"

namespace osprey::ml_hooks::detectors {
namespace {

// The default width of the image the model sees: sensor-level detail adds
// cost and noise, not motion.
constexpr int kDefaultMaxWidth = 640;
// MOG2 marks foreground 255 and shadows 127; anything above this is motion.
constexpr double kForegroundLevel = 200;

class MotionDetector final : public CvDetector {
 public:
  explicit MotionDetector(const DetectorConfig& config) : CvDetector(config, "motion detector") {}

 private:
  Result<std::vector<Detection>> DetectIn(const cv::Mat& image) override {
    const int max_width = config_.max_width > 0 ? config_.max_width : kDefaultMaxWidth;
    const Scaled scaled = DownscaleTo(image, max_width);
    if (!model_ || scaled.image.size() != model_size_) Reset(scaled.image.size());

    const bool warming = frames_seen_ < config_.motion.warmup_frames;
    ++frames_seen_;
    cv::Mat foreground;
    model_->apply(scaled.image, foreground,
                  warming ? -1.0 : 1.0 / config_.motion.history);
    if (warming) return std::vector<Detection>();

    cv::threshold(foreground, foreground, kForegroundLevel, 255, cv::THRESH_BINARY);
    if (!ignore_.empty()) foreground.setTo(0, ignore_);
    // Opening removes the speckle that noise and codec blocks leave; closing
    // then joins the pieces of one object split where it resembles the
    // background.
    cv::morphologyEx(foreground, foreground, cv::MORPH_OPEN, open_kernel_);
    cv::morphologyEx(foreground, foreground, cv::MORPH_CLOSE, close_kernel_);

    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(foreground, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    const double min_area =
        config_.motion.min_area * scaled.image.cols * scaled.image.rows;
    std::vector<Detection> out;
    for (const auto& contour : contours) {
      if (cv::contourArea(contour) < min_area) continue;
      const cv::Rect r = cv::boundingRect(contour);
      Detection d;
      d.label = "motion";
      d.detector = "motion";
      d.score = 1;
      d.box = ToOriginal(cv::Rect2d(r), scaled.to_original, image.cols, image.rows);
      out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(),
              [](const Detection& a, const Detection& b) { return a.box.Area() > b.box.Area(); });
    return out;
  }

  // A new resolution means a new scene for the model: start over, warm-up
  // included, rather than compare pixels that no longer correspond.
  void Reset(cv::Size size) {
    model_ = cv::createBackgroundSubtractorMOG2(config_.motion.history,
                                                config_.motion.var_threshold,
                                                config_.motion.detect_shadows);
    model_size_ = size;
    frames_seen_ = 0;
    // Kernels scale with the image so a 320-wide and a 640-wide stream
    // filter the same share of the picture.
    const int open = std::max(3, (size.width / 213) | 1);
    const int close = std::max(5, (size.width / 64) | 1);
    open_kernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(open, open));
    close_kernel_ = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(close, close));
    ignore_.release();
    if (config_.motion.masks.empty()) return;
    ignore_ = cv::Mat::zeros(size, CV_8UC1);
    for (const Polygon& polygon : config_.motion.masks) {
      std::vector<cv::Point> points;
      points.reserve(polygon.size());
      for (const Point& p : polygon) {
        points.emplace_back(static_cast<int>(std::lround(p.x * size.width)),
                            static_cast<int>(std::lround(p.y * size.height)));
      }
      const std::vector<std::vector<cv::Point>> polys{points};
      cv::fillPoly(ignore_, polys, cv::Scalar(255));
    }
  }

  cv::Ptr<cv::BackgroundSubtractorMOG2> model_;
  cv::Size model_size_;
  int frames_seen_ = 0;
  cv::Mat open_kernel_;
  cv::Mat close_kernel_;
  cv::Mat ignore_;  // 255 where motion is ignored; empty without masks
};

}  // namespace

Result<std::unique_ptr<Detector>> MakeMotionDetector(const DetectorConfig& config) {
  const MotionOptions& m = config.motion;
  if (m.history < 1) return Status::InvalidArgument("motion history must be >= 1");
  if (!(m.var_threshold > 0)) {
    return Status::InvalidArgument("motion var_threshold must be > 0");
  }
  if (!(m.min_area >= 0 && m.min_area < 1)) {
    return Status::InvalidArgument("motion min_area must be in [0,1)");
  }
  if (m.warmup_frames < 0) return Status::InvalidArgument("motion warmup_frames must be >= 0");
  for (const Polygon& polygon : m.masks) {
    if (polygon.size() < 3) {
      return Status::InvalidArgument("motion mask polygon needs at least 3 points");
    }
  }
  return std::unique_ptr<Detector>(new MotionDetector(config));
}

}  // namespace osprey::ml_hooks::detectors
