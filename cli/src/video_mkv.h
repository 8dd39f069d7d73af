// The resumable MKV download behind `osprey video get -o out.mkv`
// (video_get.cc describes the file layout and the .part/.part.idx pair).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/client/get_media_reader.h"

namespace osprey::cli {

struct MkvDownload {
  std::string path;                    // the finished file; work goes to path + ".part"
  std::vector<std::string> fragments;  // fragment numbers in file order
  int64_t duration_ms = 0;             // written into Info as its Duration
  // (fragments done, fragments total, bytes in the .part file)
  std::function<void(size_t, size_t, int64_t)> progress;
};

// Downloads what the .part file lacks, then renames it to `path`. Returns
// the file size. `options` gives the server and stream; its fragment_list is
// filled here. Test hook: OSPREY_TEST_STOP_AFTER_FRAGMENTS=N fails with
// Cancelled after N fragments have been written in this run, leaving the
// .part file as an interrupted download would.
Result<int64_t> DownloadMkv(const MkvDownload& download, client::GetMediaOptions options);

// `stream_header` (Info, Tracks, ... as GetMedia hands them out) with the
// Info's Duration set to `duration_ms`. Corruption if it does not parse.
Result<std::string> WithDuration(std::string_view stream_header, int64_t duration_ms);

}  // namespace osprey::cli
