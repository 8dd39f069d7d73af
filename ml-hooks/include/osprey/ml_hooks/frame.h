// The plain types every part of ml-hooks shares: a decoded frame, a box, a
// detection. No OpenCV here: detectors wrap Frame::bgr in a cv::Mat header
// without copying (src/), so callers never see OpenCV types.
//
// Coordinates: pixels of the frame the detector saw, origin top-left, x to
// the right, y down. Normalised coordinates divide by the frame's width and
// height (so they survive a change of resolution between detection and
// display).
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace osprey::ml_hooks {

struct Frame {
  int width = 0;
  int height = 0;
  std::string bgr;         // width * height * 3 bytes, rows packed, B,G,R order
  int64_t pts_us = 0;      // presentation time on the producer timeline (epoch µs)
  bool key = false;        // decoded from a sync sample
  std::string fragment_number;  // the fragment it came from ("" when unknown)
  int64_t server_timestamp_ms = 0;    // that fragment's server (arrival) timestamp
  int64_t producer_timestamp_ms = 0;  // that fragment's producer (start) timestamp
};

struct Box {
  double x = 0;  // left
  double y = 0;  // top
  double w = 0;
  double h = 0;
  double Area() const { return w > 0 && h > 0 ? w * h : 0; }
  double CenterX() const { return x + w / 2; }
  double CenterY() const { return y + h / 2; }
};

// Intersection over union; 0 when either box is empty.
double IoU(const Box& a, const Box& b);
// The box clipped to [0,width) x [0,height).
Box ClipBox(const Box& box, int width, int height);

struct Detection {
  std::string label;     // "motion", "person", "face", or a class name of a DNN model
  double score = 0;      // detector confidence in [0,1] (motion: 1)
  Box box;               // pixels
  std::string detector;  // "motion", "hog", "haar", "dnn"
  std::string model;     // model file name (dnn), cascade name (haar), "" otherwise
};

// A point and a polygon in normalised coordinates ([0,1] x [0,1] of the
// frame), for zones and masks: they do not depend on the resolution.
struct Point {
  double x = 0;
  double y = 0;
};
using Polygon = std::vector<Point>;

}  // namespace osprey::ml_hooks
