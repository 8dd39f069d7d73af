// The ospreysink element: GStreamer in, SinkSession (agent library) out.
// This file only converts: caps -> VideoFormat, buffers -> AccessUnit with a
// wall-clock capture time, properties -> SinkSessionOptions, connection
// events -> bus messages. The fragmenting, spooling and uploading logic is
// osprey::agent's, shared with osprey-agent.
#include "ospreysink.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "sink_session.h"

using osprey::agent::AccessUnit;
using osprey::agent::SpoolOverflowPolicy;
using osprey::agent::UplinkKind;
using osprey::agent::VideoFormat;
using osprey::agent::sink::ConnectionEvent;
using osprey::agent::sink::SinkSession;
using osprey::agent::sink::SinkSessionOptions;

GST_DEBUG_CATEGORY_STATIC(osprey_sink_debug);
#define GST_CAT_DEFAULT osprey_sink_debug

namespace {

constexpr guint kDefaultFragmentMs = 2000;
// kvssink's storage-size is in MiB too; same unit, so a kvssink pipeline
// string keeps its meaning here. 1 GiB, osprey-agent's --spool-bytes default.
constexpr guint kDefaultStorageMiB = 1024;
constexpr guint kDefaultRetentionHours = 24;
constexpr guint kDefaultDrainMs = 5000;
constexpr const char* kDefaultRegion = "us-east-1";

enum {
  PROP_0,
  PROP_STREAM_NAME,
  PROP_ENDPOINT,
  PROP_ACCESS_KEY,
  PROP_SECRET_KEY,
  PROP_SESSION_TOKEN,
  PROP_AWS_REGION,
  PROP_FRAGMENT_DURATION,
  PROP_STORAGE_SIZE,
  PROP_STORAGE_POLICY,
  PROP_SPOOL_DIR,
  PROP_RETENTION_PERIOD,
  PROP_DRAIN_MS,
  PROP_UPLINK,
  PROP_CA_FILE,
};

// Byte-stream input is left to h264parse (which caps negotiation inserts
// or the user writes): the agent works on AVCC access units with an avcC,
// and converting here would duplicate h264parse.
GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-h264, stream-format = (string) avc, alignment = (string) au"));

GType storage_policy_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(SpoolOverflowPolicy::kDropOldest),
       "Delete the oldest spooled fragments to make room", "drop-oldest"},
      {static_cast<gint>(SpoolOverflowPolicy::kRefuseNew),
       "Keep the backlog; new fragments are lost while the spool is full", "refuse-new"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstOspreySinkStoragePolicy", values));
  }
  return type;
}

GType uplink_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(UplinkKind::kAuto),
       "From the endpoint: websocket for ws:// and wss://, http for http://", "auto"},
      {static_cast<gint>(UplinkKind::kHttp), "PutMedia over chunked HTTP (POST /putMedia)",
       "http"},
      {static_cast<gint>(UplinkKind::kWebSocket),
       "PutMedia over the WebSocket ingest (GET /ws/putMedia), ws:// or wss://", "websocket"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstOspreySinkUplink", values));
  }
  return type;
}

// Settings are written by set_property (any thread, usually the
// application's) and read once in start(); GST_OBJECT_LOCK guards them.
struct Settings {
  std::string stream_name;
  std::string endpoint;
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  std::string region = kDefaultRegion;
  std::string spool_dir;
  guint fragment_ms = kDefaultFragmentMs;
  guint storage_mib = kDefaultStorageMiB;
  SpoolOverflowPolicy policy = SpoolOverflowPolicy::kDropOldest;
  guint retention_hours = kDefaultRetentionHours;
  guint drain_ms = kDefaultDrainMs;
  UplinkKind uplink = UplinkKind::kAuto;
  std::string ca_file;
};

// Streaming-thread state (and the session, created in start(), destroyed in
// stop(), when no streaming thread runs).
struct State {
  Settings settings;  // guarded by GST_OBJECT_LOCK
  std::unique_ptr<SinkSession> session;
  std::chrono::milliseconds drain{kDefaultDrainMs};
  bool have_epoch = false;
  bool epoch_from_clock = false;
  int64_t epoch_offset_ns = 0;
};

}  // namespace

struct _GstOspreySink {
  GstBaseSink parent;
  State* state;  // C++ members live off the GObject instance (zero-filled C memory)
};

G_DEFINE_TYPE(GstOspreySink, gst_osprey_sink, GST_TYPE_BASE_SINK)

namespace {

std::string EnvOr(const std::string& value, const char* name) {
  if (!value.empty()) return value;
  const char* env = std::getenv(name);
  return env != nullptr ? env : "";
}

// Where the spool goes when spool-dir is not set: per stream, so two
// elements for two streams never share (and lock each other out of) one.
std::string DefaultSpoolDir(const std::string& stream) {
  const char* state_home = std::getenv("XDG_STATE_HOME");
  if (state_home != nullptr && state_home[0] != '\0') {
    return std::string(state_home) + "/osprey/spool/" + stream;
  }
  return "/var/lib/osprey/spool/" + stream;
}

void PostConnection(GstOspreySink* self, const ConnectionEvent& event) {
  GstStructure* s =
      gst_structure_new("osprey-connection", "state", G_TYPE_STRING,
                        event.state == ConnectionEvent::State::kLost ? "lost" : "recovered",
                        "error", G_TYPE_STRING, event.error.c_str(), "backlog-fragments",
                        G_TYPE_UINT64, static_cast<guint64>(event.backlog_fragments), nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

gboolean Start(GstBaseSink* base) {
  GstOspreySink* self = GST_OSPREY_SINK(base);
  State* st = self->state;
  GST_OBJECT_LOCK(self);
  const Settings settings = st->settings;
  GST_OBJECT_UNLOCK(self);

  if (settings.stream_name.empty() || settings.endpoint.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("stream-name and endpoint must be set"),
                      (nullptr));
    return FALSE;
  }
  SinkSessionOptions options;
  options.transport.endpoint = settings.endpoint;
  options.uplink = settings.uplink;
  options.ca_file = settings.ca_file;
  options.transport.stream_name = settings.stream_name;
  options.transport.region = settings.region;
  options.transport.retention_hours = static_cast<int>(settings.retention_hours);
  options.transport.credentials.access_key_id = EnvOr(settings.access_key, "AWS_ACCESS_KEY_ID");
  options.transport.credentials.secret_access_key =
      EnvOr(settings.secret_key, "AWS_SECRET_ACCESS_KEY");
  options.transport.credentials.session_token = EnvOr(settings.session_token, "AWS_SESSION_TOKEN");
  if (options.transport.credentials.access_key_id.empty() ||
      options.transport.credentials.secret_access_key.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("no credentials: set access-key and secret-key, or "
                       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
                      (nullptr));
    return FALSE;
  }
  options.spool.dir =
      settings.spool_dir.empty() ? DefaultSpoolDir(settings.stream_name) : settings.spool_dir;
  options.spool.max_bytes = static_cast<uint64_t>(settings.storage_mib) << 20;
  options.spool.policy = settings.policy;
  options.fragment_ms = settings.fragment_ms;

  auto session = SinkSession::Open(
      std::move(options), [self](const ConnectionEvent& event) { PostConnection(self, event); });
  if (!session.ok()) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("cannot start the Osprey upload"),
                      ("%s", session.status().ToString().c_str()));
    return FALSE;
  }
  st->session = std::move(session).value();
  st->drain = std::chrono::milliseconds(settings.drain_ms);
  st->have_epoch = false;
  return TRUE;
}

gboolean Stop(GstBaseSink* base) {
  State* st = GST_OSPREY_SINK(base)->state;
  // Streaming has stopped (basesink deactivated the pad first), so nothing
  // else touches the session. Close() keeps the open fragment in the spool.
  st->session.reset();
  return TRUE;
}

gboolean SetCaps(GstBaseSink* base, GstCaps* caps) {
  GstOspreySink* self = GST_OSPREY_SINK(base);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  VideoFormat format;
  gint w = 0, h = 0;
  gst_structure_get_int(s, "width", &w);
  gst_structure_get_int(s, "height", &h);
  format.width = static_cast<uint32_t>(w);
  format.height = static_cast<uint32_t>(h);
  const GValue* v = gst_structure_get_value(s, "codec_data");
  if (v == nullptr || !G_VALUE_HOLDS(v, GST_TYPE_BUFFER)) {
    // The avcC is the track's CodecPrivate; without it nothing can be played.
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("H.264 caps without codec_data"),
                      ("caps: %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  GstBuffer* codec_data = gst_value_get_buffer(v);
  GstMapInfo map;
  if (!gst_buffer_map(codec_data, &map, GST_MAP_READ)) return FALSE;
  format.codec_private.assign(reinterpret_cast<const char*>(map.data), map.size);
  gst_buffer_unmap(codec_data, &map);
  if (self->state->session) self->state->session->OnFormat(format);
  return TRUE;
}

// Producer timestamp of a buffer, epoch ms. The buffer's running time plus
// the element's base time is its time on the pipeline clock; that clock is
// mapped to the epoch once, at the first buffer (epoch offset = wall clock -
// pipeline clock, both read then). The clock's rate, not the wall clock's
// steps (NTP), spaces the timestamps, and running time keeps increasing
// across pause/resume and seeks. Without a clock the first buffer's running
// time is mapped to the wall clock instead. DTS is used when valid (blocks
// are written in decode order, and PTS goes backwards with B-frames), else
// PTS; a buffer with neither gets the wall clock. Non-increasing results
// are repaired by the Fragmenter.
int64_t CaptureTimeMs(GstOspreySink* self, GstBuffer* buffer) {
  State* st = self->state;
  GstBaseSink* base = GST_BASE_SINK(self);
  const int64_t wall_ns = g_get_real_time() * 1000;
  const GstClockTime ts =
      GST_BUFFER_DTS_IS_VALID(buffer) ? GST_BUFFER_DTS(buffer) : GST_BUFFER_PTS(buffer);
  if (!GST_CLOCK_TIME_IS_VALID(ts)) return wall_ns / 1000000;
  // Signed: with B-frames the first DTS lies before the segment start (the
  // encoder shifts DTS below PTS), which is a negative running time, not an
  // invalid one.
  guint64 abs_running = 0;
  const int sign =
      gst_segment_to_running_time_full(&base->segment, GST_FORMAT_TIME, ts, &abs_running);
  if (sign == 0) return wall_ns / 1000000;
  const int64_t running =
      sign > 0 ? static_cast<int64_t>(abs_running) : -static_cast<int64_t>(abs_running);
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  const int64_t base_time = static_cast<int64_t>(gst_element_get_base_time(GST_ELEMENT(self)));
  if (!st->have_epoch) {
    st->have_epoch = true;
    st->epoch_from_clock = clock != nullptr;
    st->epoch_offset_ns = clock != nullptr
                              ? wall_ns - static_cast<int64_t>(gst_clock_get_time(clock))
                              : wall_ns - running;
    GST_INFO_OBJECT(self, "epoch offset %" G_GINT64_FORMAT " ns (from %s)", st->epoch_offset_ns,
                    st->epoch_from_clock ? "the pipeline clock" : "the first running time");
  }
  if (clock != nullptr) gst_object_unref(clock);
  const int64_t clock_ns = running + (st->epoch_from_clock ? base_time : 0);
  return (clock_ns + st->epoch_offset_ns) / 1000000;
}

GstFlowReturn Render(GstBaseSink* base, GstBuffer* buffer) {
  GstOspreySink* self = GST_OSPREY_SINK(base);
  State* st = self->state;
  if (!st->session) return GST_FLOW_FLUSHING;
  AccessUnit unit;
  unit.key_hint = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  unit.capture_time_ms = CaptureTimeMs(self, buffer);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("cannot map a buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  unit.data.assign(reinterpret_cast<const char*>(map.data), map.size);
  gst_buffer_unmap(buffer, &map);
  // Spool write errors are logged and counted by the Fragmenter and do not
  // stop the pipeline: a full refuse-new spool or a failing disk loses
  // fragments, like kvssink's storage overflow, rather than the recording.
  st->session->OnAccessUnit(std::move(unit));
  return GST_FLOW_OK;
}

gboolean Event(GstBaseSink* base, GstEvent* event) {
  GstOspreySink* self = GST_OSPREY_SINK(base);
  State* st = self->state;
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && st->session) {
    // Before chaining up: the parent posts the EOS message, and an
    // application that quits on EOS should find everything uploaded.
    const bool drained = st->session->Drain(st->drain);
    const guint64 backlog = st->session->Backlog();
    GST_INFO_OBJECT(self, "EOS: drained=%d backlog=%" G_GUINT64_FORMAT, drained, backlog);
    GstStructure* s = gst_structure_new("osprey-drain", "drained", G_TYPE_BOOLEAN, drained,
                                        "backlog-fragments", G_TYPE_UINT64, backlog, nullptr);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  }
  return GST_BASE_SINK_CLASS(gst_osprey_sink_parent_class)->event(base, event);
}

// A flush or a state change must not wait for a drain to time out.
gboolean Unlock(GstBaseSink* base) {
  State* st = GST_OSPREY_SINK(base)->state;
  if (st->session) st->session->Interrupt(true);
  return TRUE;
}

gboolean UnlockStop(GstBaseSink* base) {
  State* st = GST_OSPREY_SINK(base)->state;
  if (st->session) st->session->Interrupt(false);
  return TRUE;
}

void SetString(GstOspreySink* self, std::string* field, const GValue* value) {
  const gchar* text = g_value_get_string(value);
  GST_OBJECT_LOCK(self);
  *field = text != nullptr ? text : "";
  GST_OBJECT_UNLOCK(self);
}

void SetProperty(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstOspreySink* self = GST_OSPREY_SINK(object);
  Settings& s = self->state->settings;
  switch (id) {
    case PROP_STREAM_NAME:
      SetString(self, &s.stream_name, value);
      return;
    case PROP_ENDPOINT:
      SetString(self, &s.endpoint, value);
      return;
    case PROP_ACCESS_KEY:
      SetString(self, &s.access_key, value);
      return;
    case PROP_SECRET_KEY:
      SetString(self, &s.secret_key, value);
      return;
    case PROP_SESSION_TOKEN:
      SetString(self, &s.session_token, value);
      return;
    case PROP_AWS_REGION:
      SetString(self, &s.region, value);
      return;
    case PROP_SPOOL_DIR:
      SetString(self, &s.spool_dir, value);
      return;
    case PROP_CA_FILE:
      SetString(self, &s.ca_file, value);
      return;
    default:
      break;
  }
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_FRAGMENT_DURATION:
      s.fragment_ms = g_value_get_uint(value);
      break;
    case PROP_STORAGE_SIZE:
      s.storage_mib = g_value_get_uint(value);
      break;
    case PROP_STORAGE_POLICY:
      s.policy = static_cast<SpoolOverflowPolicy>(g_value_get_enum(value));
      break;
    case PROP_RETENTION_PERIOD:
      s.retention_hours = g_value_get_uint(value);
      break;
    case PROP_DRAIN_MS:
      s.drain_ms = g_value_get_uint(value);
      break;
    case PROP_UPLINK:
      s.uplink = static_cast<UplinkKind>(g_value_get_enum(value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

void GetProperty(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstOspreySink* self = GST_OSPREY_SINK(object);
  const Settings& s = self->state->settings;
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_STREAM_NAME:
      g_value_set_string(value, s.stream_name.c_str());
      break;
    case PROP_ENDPOINT:
      g_value_set_string(value, s.endpoint.c_str());
      break;
    case PROP_ACCESS_KEY:
      g_value_set_string(value, s.access_key.c_str());
      break;
    case PROP_AWS_REGION:
      g_value_set_string(value, s.region.c_str());
      break;
    case PROP_SPOOL_DIR:
      g_value_set_string(value, s.spool_dir.c_str());
      break;
    case PROP_FRAGMENT_DURATION:
      g_value_set_uint(value, s.fragment_ms);
      break;
    case PROP_STORAGE_SIZE:
      g_value_set_uint(value, s.storage_mib);
      break;
    case PROP_STORAGE_POLICY:
      g_value_set_enum(value, static_cast<gint>(s.policy));
      break;
    case PROP_RETENTION_PERIOD:
      g_value_set_uint(value, s.retention_hours);
      break;
    case PROP_DRAIN_MS:
      g_value_set_uint(value, s.drain_ms);
      break;
    case PROP_UPLINK:
      g_value_set_enum(value, static_cast<gint>(s.uplink));
      break;
    case PROP_CA_FILE:
      g_value_set_string(value, s.ca_file.c_str());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

void Finalize(GObject* object) {
  GstOspreySink* self = GST_OSPREY_SINK(object);
  delete self->state;
  self->state = nullptr;
  G_OBJECT_CLASS(gst_osprey_sink_parent_class)->finalize(object);
}

// Settings take effect at start (READY -> PAUSED), so they may change only
// before it.
constexpr GParamFlags kFlags =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
// Secrets can be set but not read back: they would otherwise show up in
// gst-launch -v and in generic property dumps.
constexpr GParamFlags kSecretFlags =
    static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

void InstallString(GObjectClass* klass, guint id, const char* name, const char* nick,
                   const char* blurb, const char* def, GParamFlags flags = kFlags) {
  g_object_class_install_property(klass, id, g_param_spec_string(name, nick, blurb, def, flags));
}

void InstallUint(GObjectClass* klass, guint id, const char* name, const char* nick,
                 const char* blurb, guint min, guint max, guint def) {
  g_object_class_install_property(klass, id,
                                  g_param_spec_uint(name, nick, blurb, min, max, def, kFlags));
}

}  // namespace

static void gst_osprey_sink_class_init(GstOspreySinkClass* klass) {
  GObjectClass* gobject = G_OBJECT_CLASS(klass);
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass* base = GST_BASE_SINK_CLASS(klass);
  gobject->set_property = SetProperty;
  gobject->get_property = GetProperty;
  gobject->finalize = Finalize;

  InstallString(gobject, PROP_STREAM_NAME, "stream-name", "Stream name",
                "Kinesis Video stream to record into; created (DescribeStream 404 -> "
                "CreateStream) when missing. Required",
                nullptr);
  InstallString(gobject, PROP_ENDPOINT, "endpoint", "Endpoint",
                "Osprey server: http://host:port, https://host:port, ws://host:port or "
                "wss://host:port. Required",
                nullptr);
  InstallString(gobject, PROP_ACCESS_KEY, "access-key", "Access key",
                "AWS access key id for SigV4; empty: $AWS_ACCESS_KEY_ID", nullptr);
  InstallString(gobject, PROP_SECRET_KEY, "secret-key", "Secret key",
                "AWS secret access key for SigV4 (write-only); empty: $AWS_SECRET_ACCESS_KEY",
                nullptr, kSecretFlags);
  InstallString(gobject, PROP_SESSION_TOKEN, "session-token", "Session token",
                "AWS session token for temporary credentials (write-only); empty: "
                "$AWS_SESSION_TOKEN, else none",
                nullptr, kSecretFlags);
  InstallString(gobject, PROP_AWS_REGION, "aws-region", "AWS region",
                "Region in the SigV4 credential scope (kvssink's name for it)", kDefaultRegion);
  InstallUint(gobject, PROP_FRAGMENT_DURATION, "fragment-duration", "Fragment duration",
              "Target fragment length in ms. Fragments are cut only at IDR frames: the first "
              "IDR at or after this length closes one, so set the encoder's key-int-max to "
              "fps * duration",
              100, 10000, kDefaultFragmentMs);
  InstallUint(gobject, PROP_STORAGE_SIZE, "storage-size", "Storage size (MiB)",
              "Bound of the on-disk spool in MiB (like kvssink's storage-size, which is in MB); "
              "what happens when it is full is storage-policy",
              1, 4u << 20, kDefaultStorageMiB);
  g_object_class_install_property(
      gobject, PROP_STORAGE_POLICY,
      g_param_spec_enum("storage-policy", "Storage policy",
                        "What to do when the spool is full (server unreachable for long): "
                        "drop-oldest keeps recording, refuse-new keeps the backlog",
                        storage_policy_get_type(),
                        static_cast<gint>(SpoolOverflowPolicy::kDropOldest), kFlags));
  InstallString(gobject, PROP_SPOOL_DIR, "spool-dir", "Spool directory",
                "Crash-safe spool of fragments waiting for PERSISTED, kept across runs (the "
                "backlog of a previous run uploads first). One element per directory. Empty: "
                "$XDG_STATE_HOME/osprey/spool/<stream-name> when XDG_STATE_HOME is set, else "
                "/var/lib/osprey/spool/<stream-name>",
                nullptr);
  InstallUint(gobject, PROP_RETENTION_PERIOD, "retention-period", "Retention period (hours)",
              "DataRetentionInHours when the element creates the stream (0: not archived)", 0,
              87600, kDefaultRetentionHours);
  InstallUint(gobject, PROP_DRAIN_MS, "drain-ms", "Drain on EOS (ms)",
              "On EOS, how long to wait for every spooled fragment to be PERSISTED before "
              "posting EOS; what is left stays in the spool for the next run",
              0, 3600000, kDefaultDrainMs);
  g_object_class_install_property(
      gobject, PROP_UPLINK,
      g_param_spec_enum("uplink", "Uplink",
                        "How fragments travel to the server: http (PutMedia, chunked POST "
                        "/putMedia), websocket (GET /ws/putMedia, SigV4-signed upgrade, MKV in "
                        "binary messages, acks as text messages) or auto (websocket for ws:// "
                        "and wss:// endpoints, else http). Either way a fragment leaves the "
                        "spool only on PERSISTED",
                        uplink_get_type(), static_cast<gint>(UplinkKind::kAuto), kFlags));
  InstallString(gobject, PROP_CA_FILE, "ca-file", "CA file",
                "https:// and wss://: PEM file of CA certificates to trust instead of the system "
                "store (e.g. osprey-server --self-signed's ca.pem). Empty: the system store",
                nullptr);

  gst_element_class_add_static_pad_template(element, &sink_template);
  gst_element_class_set_static_metadata(
      element, "Osprey sink", "Sink/Video/Network",
      "Records H.264 into an Osprey (Kinesis Video Streams compatible) stream: keyframe-aligned "
      "fragments, crash-safe on-disk spool, PutMedia upload with resume. Posts element messages "
      "\"osprey-connection\" (state=lost|recovered, error, backlog-fragments) and, on EOS, "
      "\"osprey-drain\" (drained, backlog-fragments)",
      "Osprey");

  base->start = Start;
  base->stop = Stop;
  base->set_caps = SetCaps;
  base->render = Render;
  base->event = Event;
  base->unlock = Unlock;
  base->unlock_stop = UnlockStop;

  gst_type_mark_as_plugin_api(storage_policy_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(uplink_get_type(), static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(osprey_sink_debug, "ospreysink", 0, "Osprey sink");
}

static void gst_osprey_sink_init(GstOspreySink* self) {
  self->state = new State();
  // Render at the buffers' clock times, as a player would: a file source
  // then records in real time and producer timestamps stay near the wall
  // clock instead of running ahead of it.
  gst_base_sink_set_sync(GST_BASE_SINK(self), TRUE);
}

gboolean gst_osprey_sink_register(GstPlugin* plugin) {
  return gst_element_register(plugin, "ospreysink", GST_RANK_NONE, GST_TYPE_OSPREY_SINK);
}
