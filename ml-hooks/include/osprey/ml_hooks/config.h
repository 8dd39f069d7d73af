// MlConfig: what osprey-ml watches and where its events go, from a TOML file
// (docs/ml-hooks.md lists every key) and/or command-line flags (flags win).
//
// Layout of the TOML file:
//   endpoint, region, state_dir, snapshot_dir          top level
//   [outputs]   data_stream, delivery_stream, create_missing, bucket,
//               detection_interval_ms, publish_detections
//   [defaults]  per-stream settings every [[stream]] starts from
//   [detector.<type>]  options of a detector type (min_score, max_width, ...)
//   [[stream]]  name ("*" = every stream of the server), detectors,
//               sample_fps, keyframes_only, decode_max_width, motion_gate,
//               motion_gate_hold_ms, queue_frames, zones, masks, rules
// Unknown keys and wrongly typed values are InvalidArgument naming the file
// line, so a typo never silently disables a detector or a zone.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/detector.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks {

struct ZoneConfig {
  std::string name;
  Polygon polygon;  // normalised
};

struct IntrusionRuleConfig {
  std::string name;  // "" : "intrusion-<zone>"; the arm API addresses rules by it
  std::string zone;
  std::vector<std::string> labels = {"person"};
  // Windows in which the zone is armed ("mon-fri 22:00-06:00", ...; see
  // rules.h). Default: always. An empty list arms it only through the arm
  // API (osprey-ml arm / arm.json).
  std::vector<std::string> schedule = {"daily 00:00-24:00"};
  int64_t min_dwell_ms = 1000;
  int64_t cooldown_ms = 0;
};

struct StreamConfig {
  std::string name;  // "*": every video stream on the server
  std::vector<std::string> detectors = {"motion"};
  double sample_fps = 5;        // frames analysed per second (0: every frame)
  bool keyframes_only = false;  // decode only key frames (cheap scan)
  int decode_max_width = 0;     // scale frames down before detection (0: native)
  // Run the other detectors only on frames where motion found something, or
  // within motion_gate_hold_ms after (needs "motion" among the detectors).
  bool motion_gate = false;
  int64_t motion_gate_hold_ms = 2000;
  // Frames waiting for the detectors; past it the oldest is dropped (and
  // counted), so a slow detector never holds the GetMedia connection.
  int queue_frames = 50;
  std::vector<ZoneConfig> zones;
  std::vector<Polygon> masks;
  std::vector<IntrusionRuleConfig> rules;
};

struct OutputConfig {
  std::string data_stream = "osprey-events";      // "" : no PutRecords
  std::string delivery_stream = "osprey-events";  // "" : no PutRecordBatch
  bool create_missing = true;  // create the data/delivery stream when absent
  std::string bucket = "osprey-events";  // destination of a created delivery stream
  // Per track, a "detection" event at most this often (track start/end and
  // intrusions are always published).
  int64_t detection_interval_ms = 1000;
  bool publish_detections = true;
  // Continuous training-set collection: each track_end also stores the clean
  // best frame (training/<stream>/...) and lists every detection in it, so
  // `osprey dataset export --archive` can build a dataset from the archive.
  bool training_frames = false;
};

struct MlConfig {
  std::string endpoint = "http://127.0.0.1:9470";  // osprey-server's default port
  // https:// endpoint: PEM file of the CAs to trust instead of the system
  // store (osprey-server --self-signed's DATA_DIR/tls/ca.pem). "": the system.
  std::string ca_file;
  std::string region = "us-east-1";
  std::string state_dir = "osprey-ml-state";  // checkpoints (journal per stream)
  // Root of the snapshot objects (keys start with "snapshots/"); "" : the
  // state_dir. Point it at DATA_DIR/s3/<bucket> to keep them beside the
  // Firehose archive.
  std::string snapshot_dir;
  OutputConfig outputs;
  std::map<std::string, DetectorConfig> detector_options;  // by type
  std::vector<StreamConfig> streams;
};

// Parses a TOML document. `source_name` prefixes error messages.
Result<MlConfig> ParseMlConfig(std::string_view toml_text, std::string_view source_name);

// The DetectorConfig for `type` in `config` (its [detector.<type>] options,
// or the defaults), with type set.
DetectorConfig DetectorConfigFor(const MlConfig& config, const std::string& type);

// Checks cross-field rules: at least one stream, known detector types,
// rules naming existing zones, motion_gate only with "motion".
Status ValidateMlConfig(const MlConfig& config);

}  // namespace osprey::ml_hooks
