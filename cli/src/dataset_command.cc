// osprey dataset export: a training set (YOLO or COCO) from stored footage.
//
//   osprey dataset export --stream S --from T1 --to T2 --labels person,face
//       --format yolo|coco --out DIR [--endpoint URL] [--detectors person,face]
//       [--sample-fps 2] [--min-score 0.5] [--review-min-score 0.2]
//       [--min-interval-ms 0] [--keep-empty] [--config ml.toml] [--quiet]
//
// Frames of [T1, T2] are read from the server (ListFragments +
// GetMediaForFragmentList), sampled at --sample-fps, and run through the
// detectors for the chosen labels ("person" -> HOG, "face" -> Haar; other
// labels need a DNN model from --config [detector.dnn]). Detections at or
// above --min-score become annotations; those between --review-min-score and
// it go to DIR/review/ as hard negatives for a human to check.
//
//   osprey dataset export --archive BUCKET_DIR [--prefix events/] [--stream S]
//       [--from T1] [--to T2] --labels ... --format ... --out DIR
//
// builds the set from what osprey-ml collected continuously
// (--training-frames): the clean frames and labels of its archived
// track_end events, without running a detector again.
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cli_util.h"
#include "osprey/base/file_util.h"
#include "osprey/ml_hooks/archive_source.h"
#include "osprey/ml_hooks/config.h"
#include "osprey/ml_hooks/dataset.h"
#include "osprey/ml_hooks/detector.h"
#include "osprey/ml_hooks/server_source.h"

namespace osprey::cli {
namespace {

int Fail(const Status& s, int code = kExitFailed) {
  std::fprintf(stderr, "osprey: %s\n", s.ToString().c_str());
  return code;
}

// Detector types for the chosen labels when --detectors is not given.
Result<std::vector<std::string>> DetectorsForLabels(const std::vector<std::string>& labels,
                                                    bool have_dnn) {
  std::vector<std::string> out;
  auto add = [&](const std::string& t) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  for (const std::string& label : labels) {
    if (label == "person") {
      add("person");
    } else if (label == "face") {
      add("face");
    } else if (have_dnn) {
      add("dnn");
    } else {
      return Status::InvalidArgument("label \"" + label +
                                     "\" needs a DNN model: give --config with [detector.dnn]");
    }
  }
  return out;
}

// The bar redraws one line with \r: only on a terminal.
std::function<void(const ml_hooks::ExportProgress&)> Progress(
    const std::map<std::string, std::string>& f) {
  if (f.count("--quiet") != 0 || !::isatty(STDERR_FILENO)) {
    return [](const ml_hooks::ExportProgress&) {};
  }
  return [](const ml_hooks::ExportProgress& p) {
    std::fprintf(stderr, "\r%s", ml_hooks::FormatExportProgress(p, 30).c_str());
  };
}

int Finish(const Result<ml_hooks::DatasetSummary>& summary, int64_t skipped) {
  if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
  if (!summary.ok()) return Fail(summary.status());
  std::printf("%s\n", ml_hooks::FormatDatasetSummary(*summary).c_str());
  if (skipped > 0) {
    std::printf("%lld archived events or images could not be read and were skipped\n",
                static_cast<long long>(skipped));
  }
  return kExitOk;
}

}  // namespace

int DatasetExport(const std::vector<std::string>& args) {
  auto flags = ParseFlags(args,
                          {"--endpoint", "--region", "--ca-bundle", "--profile", "--stream", "--from", "--to", "--labels",
                           "--format", "--out", "--detectors", "--sample-fps", "--min-score",
                           "--review-min-score", "--min-interval-ms", "--config", "--archive",
                           "--prefix"},
                          {"--keep-empty", "--quiet"});
  if (!flags.ok()) return Fail(flags.status(), kExitUsage);
  auto& f = *flags;
  const bool archive = f.count("--archive") != 0;
  for (const char* required : {"--stream", "--from", "--to", "--labels", "--format", "--out"}) {
    const bool optional_here = archive && std::string(required) != "--labels" &&
                               std::string(required) != "--format" &&
                               std::string(required) != "--out";
    if (!f.count(required) && !optional_here) {
      return Fail(Status::InvalidArgument(std::string(required) + " is required"), kExitUsage);
    }
  }
  auto from = f.count("--from") ? ParseTime(f["--from"]) : Result<int64_t>(INT64_MIN / 2);
  auto to = f.count("--to") ? ParseTime(f["--to"]) : Result<int64_t>(INT64_MAX / 2);
  if (!from.ok()) return Fail(from.status(), kExitUsage);
  if (!to.ok()) return Fail(to.status(), kExitUsage);
  if (*to <= *from) {
    return Fail(Status::InvalidArgument("bad time range: --to must be after --from"), kExitUsage);
  }
  auto format = ml_hooks::ParseDatasetFormat(f["--format"]);
  if (!format.ok()) return Fail(format.status(), kExitUsage);

  ml_hooks::MlConfig config;
  if (f.count("--config")) {
    auto text = ReadFile(f["--config"]);
    if (!text.ok()) return Fail(text.status(), kExitUsage);
    auto parsed = ml_hooks::ParseMlConfig(*text, f["--config"]);
    if (!parsed.ok()) return Fail(parsed.status(), kExitUsage);
    config = std::move(parsed).value();
  }
  ml_hooks::DatasetOptions options;
  options.format = *format;
  options.out_dir = f["--out"];
  options.labels = SplitList(f["--labels"]);
  options.keep_empty_frames = f.count("--keep-empty") != 0;
  if (f.count("--min-score")) options.min_score = std::atof(f["--min-score"].c_str());
  if (f.count("--review-min-score")) {
    options.review_min_score = std::atof(f["--review-min-score"].c_str());
  }
  if (f.count("--min-interval-ms")) options.min_interval_ms = std::atoll(f["--min-interval-ms"].c_str());
  if (options.labels.empty()) {
    return Fail(Status::InvalidArgument("--labels needs at least one label"), kExitUsage);
  }

  options.name_prefix = f.count("--stream") ? f["--stream"] : "archive";
  if (archive) {
    auto source = ml_hooks::ArchiveFrameSource::Open(
        f["--archive"], f.count("--prefix") ? f["--prefix"] : "events/", f["--stream"], *from, *to);
    if (!source.ok()) return Fail(source.status(), kExitUsage);
    auto writer = ml_hooks::DatasetWriter::Create(options);
    if (!writer.ok()) return Fail(writer.status());
    auto recorded = [&](const ml_hooks::Frame&) -> Result<std::vector<ml_hooks::Detection>> {
      return (*source)->detections();
    };
    return Finish(ml_hooks::ExportDataset(**source, recorded, **writer, Progress(f)),
                  (*source)->skipped());
  }
  auto connection = ConnectionFromFlags(f);
  if (!connection.ok()) return Fail(connection.status(), kExitUsage);

  auto types = f.count("--detectors")
                   ? Result<std::vector<std::string>>(SplitList(f["--detectors"]))
                   : DetectorsForLabels(options.labels, config.detector_options.count("dnn") != 0);
  if (!types.ok()) return Fail(types.status(), kExitUsage);
  std::vector<std::unique_ptr<ml_hooks::Detector>> detectors;
  for (const std::string& type : *types) {
    ml_hooks::DetectorConfig dc = ml_hooks::DetectorConfigFor(config, type);
    // The writer splits confident from uncertain detections, so the
    // detectors must report down to the review threshold.
    dc.min_score = std::min(dc.min_score, options.review_min_score);
    auto detector = ml_hooks::MakeDetector(dc);
    if (!detector.ok()) return Fail(detector.status(), kExitUsage);
    detectors.push_back(std::move(detector).value());
  }

  ml_hooks::ServerRange range;
  range.url = connection->url;
  range.credentials = connection->credentials;
  range.region = connection->region;
  range.stream_name = f["--stream"];
  range.from_ms = *from;
  range.to_ms = *to;
  range.sampling.max_fps = f.count("--sample-fps") ? std::atof(f["--sample-fps"].c_str()) : 2;
  auto source = ml_hooks::OpenServerFrameSource(range);
  if (!source.ok()) return Fail(source.status(), kExitUsage);
  auto writer = ml_hooks::DatasetWriter::Create(options);
  if (!writer.ok()) return Fail(writer.status());

  auto detect = [&](const ml_hooks::Frame& frame) -> Result<std::vector<ml_hooks::Detection>> {
    std::vector<ml_hooks::Detection> all;
    for (auto& d : detectors) {
      OSPREY_ASSIGN_OR_RETURN(auto found, d->Detect(frame));
      for (auto& x : found) all.push_back(std::move(x));
    }
    return all;
  };
  return Finish(ml_hooks::ExportDataset(**source, detect, **writer, Progress(f)), 0);
}

}  // namespace osprey::cli
