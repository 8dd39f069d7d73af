// Helpers for the detector tests: cv::Mat <-> Frame.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks::testing {

// A Frame holding a copy of a CV_8UC3 image.
inline Frame ToFrame(const cv::Mat& bgr, int64_t pts_us = 0) {
  const cv::Mat packed = bgr.isContinuous() ? bgr : bgr.clone();
  Frame f;
  f.width = packed.cols;
  f.height = packed.rows;
  f.pts_us = pts_us;
  f.bgr.assign(reinterpret_cast<const char*>(packed.data), packed.total() * packed.elemSize());
  return f;
}

inline std::string SampleDir() { return OSPREY_OPENCV_SAMPLES_DIR; }

}  // namespace osprey::ml_hooks::testing
