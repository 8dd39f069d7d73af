// GetImages (video-api.md 6.6): POST /getImages answers one page of still
// images sampled from a stream's video track, each decoded with
// playback::VideoDecoder and encoded with playback::EncodeJpeg/EncodePng,
// base64 in the JSON answer.
//
// Pages: at most min(MaxResults, 25) sampling times per answer; NextToken
// (the ListFragments cursor format of archived_media.h, carrying the range
// and the next sampling index) continues; with a NextToken the range in it
// wins over the request's. The sampling rules are in get_images_plan.h.
//
// Errors: request validation (400 InvalidArgumentException), unknown stream
// (404 ResourceNotFoundException), retention 0 (400
// NoDataRetentionException), full job pool (400
// ClientLimitExceededException). A range without media is not an error:
// its images say NO_MEDIA. MEDIA_ERROR marks a time whose fragment does not
// parse or decode, has no video track, or whose image would exceed the
// 6291456-character ImageContent limit.
//
// Threading: validation on the connection's thread; reading, decoding and
// encoding on the playback job pool (get_clip.h), one decoder per request.
#pragma once

#include "osprey/server/router.h"
#include "video/video_routes.h"

namespace osprey::server::video {

// Registers POST /getImages (SigV4 service kinesisvideo).
void RegisterGetImagesRoute(Router* router, VideoContext* context);

}  // namespace osprey::server::video
