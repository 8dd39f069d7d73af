// TOML -> MlConfig. Strict: every table checks its keys, so a misspelt
// option is an error with its line rather than a silently ignored setting.
#include "osprey/ml_hooks/config.h"

#include <toml++/toml.h>

#include <set>

namespace osprey::ml_hooks {
namespace {

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  std::string At(const toml::node& node) const {
    return source_ + ":" + std::to_string(node.source().begin.line);
  }

  // Fails on a key of `table` not in `known`.
  Status OnlyKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                  std::string_view where) const {
    for (const auto& [key, node] : table) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || key.str() == k;
      if (!ok) {
        return Status::InvalidArgument(At(node) + ": unknown key \"" + std::string(key.str()) +
                                       "\" in " + std::string(where));
      }
    }
    return Status::Ok();
  }

  Status Get(const toml::table& t, std::string_view key, std::string* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    if (!n->is_string()) return Bad(*n, key, "a string");
    *out = n->as_string()->get();
    return Status::Ok();
  }
  Status Get(const toml::table& t, std::string_view key, bool* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    if (!n->is_boolean()) return Bad(*n, key, "a boolean");
    *out = n->as_boolean()->get();
    return Status::Ok();
  }
  Status Get(const toml::table& t, std::string_view key, int64_t* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    if (!n->is_integer()) return Bad(*n, key, "an integer");
    *out = n->as_integer()->get();
    return Status::Ok();
  }
  Status Get(const toml::table& t, std::string_view key, int* out) const {
    int64_t v = *out;
    OSPREY_RETURN_IF_ERROR(Get(t, key, &v));
    *out = static_cast<int>(v);
    return Status::Ok();
  }
  Status Get(const toml::table& t, std::string_view key, double* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    if (n->is_integer()) {
      *out = static_cast<double>(n->as_integer()->get());
    } else if (n->is_floating_point()) {
      *out = n->as_floating_point()->get();
    } else {
      return Bad(*n, key, "a number");
    }
    return Status::Ok();
  }
  Status Get(const toml::table& t, std::string_view key, std::vector<std::string>* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    if (!n->is_array()) return Bad(*n, key, "an array of strings");
    out->clear();
    for (const auto& item : *n->as_array()) {
      if (!item.is_string()) return Bad(item, key, "an array of strings");
      out->push_back(item.as_string()->get());
    }
    return Status::Ok();
  }
  // [[x, y], ...] in [0, 1].
  Status GetPolygon(const toml::table& t, std::string_view key, Polygon* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    const std::string what = "an array of [x, y] pairs in [0, 1]";
    if (!n->is_array()) return Bad(*n, key, what);
    out->clear();
    for (const auto& item : *n->as_array()) {
      const toml::array* pair = item.as_array();
      if (pair == nullptr || pair->size() != 2) return Bad(item, key, what);
      double xy[2];
      for (int i = 0; i < 2; ++i) {
        const toml::node& c = *pair->get(i);
        if (c.is_integer()) {
          xy[i] = static_cast<double>(c.as_integer()->get());
        } else if (c.is_floating_point()) {
          xy[i] = c.as_floating_point()->get();
        } else {
          return Bad(item, key, what);
        }
        if (xy[i] < 0 || xy[i] > 1) return Bad(item, key, what);
      }
      out->push_back(Point{xy[0], xy[1]});
    }
    if (out->size() < 3) return Bad(*n, key, "a polygon of at least 3 points");
    return Status::Ok();
  }

  Status Bad(const toml::node& n, std::string_view key, std::string_view what) const {
    return Status::InvalidArgument(At(n) + ": " + std::string(key) + " must be " +
                                   std::string(what));
  }

 private:
  std::string source_;
};

Status ReadDetector(const Reader& r, const toml::table& t, const std::string& type,
                    DetectorConfig* d) {
  OSPREY_RETURN_IF_ERROR(r.OnlyKeys(
      t,
      {"min_score", "max_width", "history", "var_threshold", "detect_shadows", "min_area",
       "warmup_frames", "scale_step", "win_stride", "upscale", "cascade", "min_size", "model",
       "config", "classes", "layout", "input_width", "input_height", "scale", "swap_rb",
       "letterbox", "nms_threshold", "class_id_offset", "labels"},
      "[detector." + type + "]"));
  d->type = type;
  OSPREY_RETURN_IF_ERROR(r.Get(t, "min_score", &d->min_score));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "max_width", &d->max_width));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "history", &d->motion.history));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "var_threshold", &d->motion.var_threshold));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "detect_shadows", &d->motion.detect_shadows));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "min_area", &d->motion.min_area));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "warmup_frames", &d->motion.warmup_frames));
  double scale_step = type == "face" ? d->face.scale_step : d->people.scale_step;
  OSPREY_RETURN_IF_ERROR(r.Get(t, "scale_step", &scale_step));
  d->face.scale_step = d->people.scale_step = scale_step;
  OSPREY_RETURN_IF_ERROR(r.Get(t, "win_stride", &d->people.win_stride));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "upscale", &d->people.upscale));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "cascade", &d->face.cascade_path));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "min_size", &d->face.min_size));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "model", &d->dnn.model_path));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "config", &d->dnn.config_path));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "classes", &d->dnn.classes_path));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "layout", &d->dnn.layout));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "input_width", &d->dnn.input_width));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "input_height", &d->dnn.input_height));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "scale", &d->dnn.scale));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "swap_rb", &d->dnn.swap_rb));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "letterbox", &d->dnn.letterbox));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "nms_threshold", &d->dnn.nms_threshold));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "class_id_offset", &d->dnn.class_id_offset));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "labels", &d->dnn.labels));
  return Status::Ok();
}

// Fields shared by [defaults] and [[stream]].
Status ReadStream(const Reader& r, const toml::table& t, bool is_defaults, StreamConfig* s) {
  OSPREY_RETURN_IF_ERROR(r.OnlyKeys(
      t,
      {"name", "detectors", "sample_fps", "keyframes_only", "decode_max_width", "motion_gate",
       "motion_gate_hold_ms", "queue_frames", "zone", "mask", "rule"},
      is_defaults ? "[defaults]" : "[[stream]]"));
  if (!is_defaults) {
    OSPREY_RETURN_IF_ERROR(r.Get(t, "name", &s->name));
    if (s->name.empty()) return Status::InvalidArgument(r.At(t) + ": [[stream]] needs a name");
  }
  OSPREY_RETURN_IF_ERROR(r.Get(t, "detectors", &s->detectors));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "sample_fps", &s->sample_fps));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "keyframes_only", &s->keyframes_only));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "decode_max_width", &s->decode_max_width));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "motion_gate", &s->motion_gate));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "motion_gate_hold_ms", &s->motion_gate_hold_ms));
  OSPREY_RETURN_IF_ERROR(r.Get(t, "queue_frames", &s->queue_frames));
  if (s->sample_fps < 0 || s->queue_frames < 1 || s->decode_max_width < 0) {
    return Status::InvalidArgument(r.At(t) + ": sample_fps >= 0, queue_frames >= 1 and "
                                             "decode_max_width >= 0 are required");
  }
  auto tables = [&](std::string_view key, auto&& each) -> Status {
    const toml::node* n = t.get(key);
    if (n == nullptr) return Status::Ok();
    const toml::array* a = n->as_array();
    if (a == nullptr || !a->is_array_of_tables()) {
      return r.Bad(*n, key, "an array of tables ([[stream." + std::string(key) + "]])");
    }
    for (const auto& item : *a) OSPREY_RETURN_IF_ERROR(each(*item.as_table()));
    return Status::Ok();
  };
  OSPREY_RETURN_IF_ERROR(tables("zone", [&](const toml::table& z) -> Status {
    OSPREY_RETURN_IF_ERROR(r.OnlyKeys(z, {"name", "polygon"}, "[[stream.zone]]"));
    ZoneConfig zone;
    OSPREY_RETURN_IF_ERROR(r.Get(z, "name", &zone.name));
    OSPREY_RETURN_IF_ERROR(r.GetPolygon(z, "polygon", &zone.polygon));
    if (zone.name.empty() || zone.polygon.empty()) {
      return Status::InvalidArgument(r.At(z) + ": a zone needs a name and a polygon");
    }
    s->zones.push_back(std::move(zone));
    return Status::Ok();
  }));
  OSPREY_RETURN_IF_ERROR(tables("mask", [&](const toml::table& m) -> Status {
    OSPREY_RETURN_IF_ERROR(r.OnlyKeys(m, {"polygon"}, "[[stream.mask]]"));
    Polygon polygon;
    OSPREY_RETURN_IF_ERROR(r.GetPolygon(m, "polygon", &polygon));
    if (polygon.empty()) return Status::InvalidArgument(r.At(m) + ": a mask needs a polygon");
    s->masks.push_back(std::move(polygon));
    return Status::Ok();
  }));
  return tables("rule", [&](const toml::table& t2) -> Status {
    OSPREY_RETURN_IF_ERROR(r.OnlyKeys(
        t2, {"name", "zone", "labels", "schedule", "min_dwell_ms", "cooldown_ms"},
        "[[stream.rule]]"));
    IntrusionRuleConfig rule;
    OSPREY_RETURN_IF_ERROR(r.Get(t2, "name", &rule.name));
    OSPREY_RETURN_IF_ERROR(r.Get(t2, "zone", &rule.zone));
    OSPREY_RETURN_IF_ERROR(r.Get(t2, "labels", &rule.labels));
    OSPREY_RETURN_IF_ERROR(r.Get(t2, "schedule", &rule.schedule));
    OSPREY_RETURN_IF_ERROR(r.Get(t2, "min_dwell_ms", &rule.min_dwell_ms));
    OSPREY_RETURN_IF_ERROR(r.Get(t2, "cooldown_ms", &rule.cooldown_ms));
    s->rules.push_back(std::move(rule));
    return Status::Ok();
  });
}

}  // namespace

Result<MlConfig> ParseMlConfig(std::string_view toml_text, std::string_view source_name) {
  const std::string name(source_name);
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(toml_text, name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(name + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
#else
  toml::parse_result parsed = toml::parse(toml_text, name);
  if (!parsed) {
    return Status::InvalidArgument(name + ":" +
                                   std::to_string(parsed.error().source().begin.line) + ": " +
                                   std::string(parsed.error().description()));
  }
  root = std::move(parsed).table();
#endif
  Reader r(name);
  MlConfig config;
  OSPREY_RETURN_IF_ERROR(r.OnlyKeys(root,
                                    {"endpoint", "ca_file", "region", "state_dir", "snapshot_dir", "outputs",
                                     "defaults", "detector", "stream"},
                                    "the top level"));
  OSPREY_RETURN_IF_ERROR(r.Get(root, "endpoint", &config.endpoint));
  OSPREY_RETURN_IF_ERROR(r.Get(root, "ca_file", &config.ca_file));
  OSPREY_RETURN_IF_ERROR(r.Get(root, "region", &config.region));
  OSPREY_RETURN_IF_ERROR(r.Get(root, "state_dir", &config.state_dir));
  OSPREY_RETURN_IF_ERROR(r.Get(root, "snapshot_dir", &config.snapshot_dir));
  if (const toml::table* o = root["outputs"].as_table()) {
    OSPREY_RETURN_IF_ERROR(r.OnlyKeys(*o,
                                      {"data_stream", "delivery_stream", "create_missing",
                                       "bucket", "detection_interval_ms", "publish_detections",
                                       "training_frames"},
                                      "[outputs]"));
    OutputConfig& out = config.outputs;
    OSPREY_RETURN_IF_ERROR(r.Get(*o, "data_stream", &out.data_stream));
    OSPREY_RETURN_IF_ERROR(r.Get(*o, "delivery_stream", &out.delivery_stream));
    OSPREY_RETURN_IF_ERROR(r.Get(*o, "create_missing", &out.create_missing));
    OSPREY_RETURN_IF_ERROR(r.Get(*o, "bucket", &out.bucket));
    OSPREY_RETURN_IF_ERROR(r.Get(*o, "detection_interval_ms", &out.detection_interval_ms));
    OSPREY_RETURN_IF_ERROR(r.Get(*o, "publish_detections", &out.publish_detections));
    OSPREY_RETURN_IF_ERROR(r.Get(*o, "training_frames", &out.training_frames));
  }
  if (const toml::table* d = root["detector"].as_table()) {
    for (const auto& [key, node] : *d) {
      const toml::table* t = node.as_table();
      if (t == nullptr) return r.Bad(node, "detector." + std::string(key.str()), "a table");
      DetectorConfig dc;
      OSPREY_RETURN_IF_ERROR(ReadDetector(r, *t, std::string(key.str()), &dc));
      config.detector_options[std::string(key.str())] = std::move(dc);
    }
  }
  StreamConfig defaults;
  if (const toml::table* t = root["defaults"].as_table()) {
    OSPREY_RETURN_IF_ERROR(ReadStream(r, *t, /*is_defaults=*/true, &defaults));
  }
  if (const toml::node* n = root.get("stream")) {
    const toml::array* a = n->as_array();
    if (a == nullptr || !a->is_array_of_tables()) {
      return r.Bad(*n, "stream", "an array of tables ([[stream]])");
    }
    for (const auto& item : *a) {
      StreamConfig s = defaults;
      OSPREY_RETURN_IF_ERROR(ReadStream(r, *item.as_table(), /*is_defaults=*/false, &s));
      config.streams.push_back(std::move(s));
    }
  }
  return config;
}

DetectorConfig DetectorConfigFor(const MlConfig& config, const std::string& type) {
  auto it = config.detector_options.find(type);
  DetectorConfig d = it != config.detector_options.end() ? it->second : DetectorConfig{};
  d.type = type;
  // HOG is slow at full size; people are usually tall enough at 640 px.
  if (it == config.detector_options.end() && type == "person") d.max_width = 640;
  return d;
}

Status ValidateMlConfig(const MlConfig& config) {
  if (config.streams.empty()) {
    return Status::InvalidArgument("no stream to watch: give --stream or a [[stream]] table");
  }
  static const std::set<std::string> kTypes = {"motion", "person", "face", "dnn"};
  for (const StreamConfig& s : config.streams) {
    if (s.detectors.empty()) {
      return Status::InvalidArgument("stream " + s.name + ": no detector");
    }
    bool motion = false;
    for (const std::string& d : s.detectors) {
      if (kTypes.count(d) == 0) {
        return Status::InvalidArgument("stream " + s.name + ": unknown detector \"" + d +
                                       "\" (motion, person, face, dnn)");
      }
      motion = motion || d == "motion";
    }
    if (s.motion_gate && !motion) {
      return Status::InvalidArgument("stream " + s.name +
                                     ": motion_gate needs \"motion\" among the detectors");
    }
    for (const IntrusionRuleConfig& rule : s.rules) {
      bool found = false;
      for (const ZoneConfig& z : s.zones) found = found || z.name == rule.zone;
      if (!found) {
        return Status::InvalidArgument("stream " + s.name + ": rule names unknown zone \"" +
                                       rule.zone + "\"");
      }
    }
  }
  for (const auto& [type, d] : config.detector_options) {
    if (kTypes.count(type) == 0) {
      return Status::InvalidArgument("[detector." + type + "]: unknown detector type");
    }
  }
  return Status::Ok();
}

}  // namespace osprey::ml_hooks
