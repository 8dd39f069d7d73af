// AudioFormatFromCaps: the AudioFormat (codec, CodecPrivate, rate, channels)
// of the audio appsink's caps, for the Matroska audio TrackEntry.
//
// Needs gst_init. Pure otherwise; safe from any thread.
#pragma once

#include <gst/gst.h>

#include "osprey/agent/capture_source.h"
#include "osprey/base/result.h"

namespace osprey::agent {

// AAC: audio/mpeg (mpegversion 2 or 4, stream-format raw) with codec_data,
// the AudioSpecificConfig. Opus: audio/x-opus; the OpusHead is the first
// streamheader buffer when it is one (opusenc, parsers), otherwise it is
// built from rate and channels (RTP depayloaders give no header; channel
// mapping family 0, so at most 2 channels). InvalidArgument for other caps,
// AAC without codec_data, or Opus with more than 2 channels and no header.
Result<AudioFormat> AudioFormatFromCaps(const GstCaps* caps);

}  // namespace osprey::agent
