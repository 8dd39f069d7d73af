// JPEG through cv::imencode; cv::Exception stops here (STYLE.md 4.3).
#include "dataset/jpeg_encode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

namespace osprey::ml_hooks::dataset {

Result<std::string> EncodeJpeg(const Frame& frame, int quality) {
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.bgr.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return Status::InvalidArgument("frame of " + std::to_string(frame.width) + "x" +
                                   std::to_string(frame.height) + " holds " +
                                   std::to_string(frame.bgr.size()) + " bytes, not w*h*3");
  }
  try {
    // A header over the frame's bytes, no copy; imencode only reads it, so
    // casting away const is safe.
    const cv::Mat image(frame.height, frame.width, CV_8UC3,
                        const_cast<char*>(frame.bgr.data()));
    std::vector<uchar> buf;
    const std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, quality};
    if (!cv::imencode(".jpg", image, buf, params)) {
      return Status::Internal("cv::imencode refused the frame");
    }
    return std::string(buf.begin(), buf.end());
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("JPEG encoding failed: ") + e.what());
  }
}

}  // namespace osprey::ml_hooks::dataset
