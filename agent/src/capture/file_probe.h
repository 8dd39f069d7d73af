// ProbeFile: what a file's video is, found before the capture pipeline is
// built, so that the pipeline can pass H.264 through and decode anything
// else, and so that a file we cannot play fails at once with a reason
// instead of leaving a pipeline waiting for a pad that never links.
//
// Needs gst_init. Blocks for up to the probe timeout (10 s); safe from any
// thread (the discoverer runs in the calling thread).
#pragma once

#include <string>

#include "osprey/agent/capture_source.h"
#include "osprey/base/result.h"

namespace osprey::agent {

// InvalidArgument: the path cannot be read, is of a type GStreamer does not
// recognise, has no video stream, or is a still image. Unavailable: a
// recognised file for which no demuxer or decoder is installed, or the probe
// timed out. Messages start with "file 'PATH': ".
Result<FileVideoInfo> ProbeFile(const std::string& path);

}  // namespace osprey::agent
