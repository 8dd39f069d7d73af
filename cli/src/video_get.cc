// osprey video get: stored footage of [T1, T2] as one file.
//
//   osprey video get --stream S --from T1 --to T2 -o out.mkv [--quiet]
//   osprey video get --stream S --from T1 --to T2 -o out.mp4
//
// MKV: ListFragments by producer timestamp, then GetMediaForFragmentList.
// Every GetMedia chunk is a standalone MKV; the file is the EBML header,
// one Segment of unknown size, the first chunk's Info (with a Duration
// added, so players and ffprobe know the length) and Tracks, then each
// fragment's Cluster in producer-time order. Clusters keep their absolute
// timecodes, so the file starts at the producer timestamp of T1's fragment.
//
// Resuming (docs/cli.md): the download goes to out.mkv.part, and after each
// fragment's Cluster is synced to disk a line "<fragment number> <end
// offset>" is appended to out.mkv.part.idx (the first line, "header <end
// offset> <fragments> <duration ms>", covers the header). A later run with
// the same -o reads the index, keeps the longest prefix that matches the
// new listing and fits in the .part file, truncates anything after it (a
// torn write) and fetches the rest; on success the .part is renamed to
// out.mkv and the index deleted. A listing that changed (different count or
// duration) starts over.
//
// MP4: the server's GetClip (one request; the server caps a clip at 200
// fragments / 100 MiB), written to out.mp4.part and renamed.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "cli_util.h"
#include "osprey/base/json_writer.h"
#include "osprey/client/get_media_reader.h"
#include "osprey/client/list_fragments.h"
#include "video_mkv.h"

namespace osprey::cli {
namespace {

Result<std::vector<client::ListedFragment>> ListRange(const ApiCommand& p, int64_t from_ms,
                                                     int64_t to_ms) {
  client::ProducerTimeRange range;
  range.url = p.connection.url;
  range.credentials = p.connection.credentials;
  range.region = p.connection.region;
  range.stream_name = p.flags.at("--stream");
  range.from_ms = from_ms;
  range.to_ms = to_ms;
  return client::ListFragmentsByProducerTime(range);
}

// The progress bar redraws one line of stderr; only on a terminal.
void Progress(bool show, size_t done, size_t total, int64_t bytes) {
  if (!show) return;
  const int width = 30;
  const int filled = total == 0 ? width : static_cast<int>(done * width / total);
  std::fprintf(stderr, "\r[%s%s] %zu/%zu fragments  %.1f MB", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total,
               static_cast<double>(bytes) / 1e6);
  if (done == total) std::fprintf(stderr, "\n");
}

Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string part = path + ".part";
  std::ofstream out(part, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Status::IOError("cannot write " + part);
  if (std::rename(part.c_str(), path.c_str()) != 0)
    return Status::FromErrno("rename " + part, errno);
  return Status::Ok();
}

int GetMp4(const ApiCommand& p, int64_t from_ms, int64_t to_ms, const std::string& path) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("StreamName").String(p.flags.at("--stream"));
  client::WriteProducerTimeSelector(&w, "ClipFragmentSelector", from_ms, to_ms);
  w.EndObject();
  auto r = client::PostJson(p.connection.url, client::KvsCall("/getClip"), body,
                            p.connection.credentials, p.connection.region,
                            std::chrono::milliseconds(120000));
  if (!r.ok()) return Report(r.status(), kExitFailed);
  if (r->status != 200) return Report(client::ApiError(*r), kExitFailed);
  if (Status s = WriteFileAtomically(path, r->body); !s.ok()) return Report(s, kExitFailed);
  std::printf("wrote %s (%zu bytes)\n", path.c_str(), r->body.size());
  return kExitOk;
}

}  // namespace

int VideoGet(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {"--stream", "--from", "--to", "-o", "--output"}, {"--quiet"},
                                {"--stream", "--from", "--to"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  const std::string path = p.Has("-o") ? p.flags["-o"] : p.flags["--output"];
  if (path.empty()) return Report(Status::InvalidArgument("-o FILE is required"), kExitUsage);
  auto from = ParseTime(p.flags["--from"]);
  auto to = ParseTime(p.flags["--to"]);
  if (!from.ok()) return Report(from.status(), kExitUsage);
  if (!to.ok()) return Report(to.status(), kExitUsage);
  if (*to <= *from) {
    return Report(Status::InvalidArgument("bad time range: --to must be after --from"), kExitUsage);
  }
  auto ends_with = [&](std::string_view s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with(".mp4")) return GetMp4(p, *from, *to, path);
  if (!ends_with(".mkv")) {
    return Report(Status::InvalidArgument("-o must end in .mkv or .mp4"), kExitUsage);
  }

  auto listed = ListRange(p, *from, *to);
  if (!listed.ok()) return Report(listed.status(), kExitFailed);
  if (listed->empty()) {
    return Report(Status::NotFound("ResourceNotFoundException: no fragments of " +
                                   p.flags["--stream"] + " in that time range"),
                  kExitFailed);
  }
  MkvDownload download;
  download.path = path;
  download.duration_ms =
      listed->back().producer_ms + listed->back().length_ms - listed->front().producer_ms;
  for (const client::ListedFragment& l : *listed) download.fragments.push_back(l.number);
  const bool show = !p.Has("--quiet") && ::isatty(STDERR_FILENO);
  download.progress = [show](size_t done, size_t total, int64_t bytes) {
    Progress(show, done, total, bytes);
  };
  client::GetMediaOptions options;
  options.url = p.connection.url;
  options.stream_name = p.flags["--stream"];
  options.credentials = p.connection.credentials;
  options.region = p.connection.region;
  auto written = DownloadMkv(download, options);
  if (!written.ok()) return Report(written.status(), kExitFailed);
  if (!p.Has("--quiet")) {
    std::printf("wrote %s (%zu fragments, %.1f s, %lld bytes)\n", path.c_str(),
                download.fragments.size(), static_cast<double>(download.duration_ms) / 1000.0,
                static_cast<long long>(*written));
  }
  return kExitOk;
}

}  // namespace osprey::cli
