// JPEG encoding of a Frame, the only place the dataset part touches OpenCV.
//
// Thread safety: a pure function (OpenCV's encoder keeps no shared state).
#pragma once

#include <string>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks::dataset {

// The frame as a baseline JPEG at `quality` (1..100). InvalidArgument when
// the frame's size does not match its bytes; Internal when OpenCV fails.
Result<std::string> EncodeJpeg(const Frame& frame, int quality);

}  // namespace osprey::ml_hooks::dataset
