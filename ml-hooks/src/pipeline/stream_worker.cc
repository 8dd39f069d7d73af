#include "pipeline/stream_worker.h"

#include <chrono>

#include "osprey/base/file_util.h"
#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"
#include "pipeline/snapshots.h"

namespace osprey::ml_hooks::pipeline {
namespace {

std::string JoinSchedule(const std::vector<std::string>& windows) {
  std::string out;
  for (const std::string& w : windows) out += (out.empty() ? "" : "; ") + w;
  return out;
}

// File-system-safe form of a stream name for the journal's file name.
std::string SafeName(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out;
}

std::string Caption(const Detection& d, uint64_t track_id) {
  char score[16];
  std::snprintf(score, sizeof(score), "%.2f", d.score);
  return d.label + " " + score + (track_id != 0 ? " #" + std::to_string(track_id) : "");
}

}  // namespace

StreamWorker::StreamWorker(const StreamConfig& stream, const WorkerEnv& env)
    : stream_(stream),
      env_(env),
      queue_(static_cast<size_t>(stream.queue_frames)),
      frames_(FrameSampling{stream.sample_fps, stream.keyframes_only, stream.decode_max_width}) {}

StreamWorker::~StreamWorker() { Stop(); }

Result<std::unique_ptr<StreamWorker>> StreamWorker::Create(const MlConfig& config,
                                                           const StreamConfig& stream,
                                                           const WorkerEnv& env) {
  std::unique_ptr<StreamWorker> w(new StreamWorker(stream, env));
  // Motion first: its result decides whether the costly detectors run.
  std::vector<std::string> types = stream.detectors;
  std::stable_partition(types.begin(), types.end(), [](const std::string& t) { return t == "motion"; });
  for (const std::string& type : types) {
    DetectorConfig dc = DetectorConfigFor(config, type);
    if (type == "motion") dc.motion.masks = stream.masks;
    OSPREY_ASSIGN_OR_RETURN(auto detector, MakeDetector(dc));
    w->detectors_.push_back(std::move(detector));
  }
  std::vector<Zone> zones;
  for (const ZoneConfig& z : stream.zones) zones.push_back(Zone{z.name, z.polygon});
  OSPREY_ASSIGN_OR_RETURN(w->zones_, ZoneSet::Create(std::move(zones), stream.masks));
  std::vector<IntrusionRuleOptions> rules;
  for (const IntrusionRuleConfig& r : stream.rules) {
    IntrusionRuleOptions o;
    o.name = r.name.empty() ? "intrusion-" + r.zone : r.name;
    o.labels = r.labels;
    o.zone = r.zone;
    o.schedule = JoinSchedule(r.schedule);
    o.min_dwell_us = r.min_dwell_ms * 1000;
    o.cooldown_us = r.cooldown_ms * 1000;
    rules.push_back(std::move(o));
  }
  OSPREY_ASSIGN_OR_RETURN(w->rules_, RuleEngine::Create(w->zones_, std::move(rules)));
  OSPREY_RETURN_IF_ERROR(MakeDirs(env.state_dir));
  OSPREY_ASSIGN_OR_RETURN(w->journal_,
                          FragmentJournal::Open(env.state_dir + "/" + SafeName(stream.name) +
                                                ".journal"));
  TrackerOptions tracker;
  if (w->journal_->last()) tracker.first_track_id = w->journal_->last()->next_track_id;
  w->next_track_id_ = tracker.first_track_id;
  w->tracker_ = std::make_unique<Tracker>(tracker);
  w->stats_.stream = stream.name;
  return w;
}

void StreamWorker::Start() {
  reader_thread_ = std::thread([this] { ReadLoop(); });
  analyser_thread_ = std::thread([this] { AnalyseLoop(); });
}

void StreamWorker::Stop() {
  if (stop_.exchange(true)) return;
  {
    std::lock_guard lock(reader_mu_);
    if (live_reader_ != nullptr) live_reader_->Abort();
  }
  if (reader_thread_.joinable()) reader_thread_.join();
  queue_.Close();
  if (analyser_thread_.joinable()) analyser_thread_.join();
}

Status StreamWorker::Arm(const std::string& rule, bool armed, std::optional<int64_t> until_ms) {
  return armed ? rules_->Arm(rule, until_ms) : rules_->Disarm(rule, until_ms);
}

Status StreamWorker::ClearArm(const std::string& rule) { return rules_->ClearOverride(rule); }

StreamStats StreamWorker::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

// --- reader thread ---------------------------------------------------------

void StreamWorker::ResolveArn() {
  std::string body;
  JsonWriter(&body).BeginObject().Key("StreamName").String(stream_.name).EndObject();
  Result<client::JsonResponse> r =
      client::PostJson(env_.url, client::KvsCall("/describeStream"), body, env_.credentials,
                       env_.region, std::chrono::milliseconds(5000));
  if (!r.ok() || r->status != 200) return;
  Result<Value> doc = ParseJson(r->body);
  if (!doc.ok()) return;
  const Value* info = doc->Find("StreamInfo");
  const Value* arn = info != nullptr ? info->Find("StreamARN") : nullptr;
  if (arn != nullptr && arn->type() == Value::Type::kString) {
    std::lock_guard lock(stats_mu_);
    arn_ = arn->as_string();
  }
}

void StreamWorker::ReadLoop() {
  std::string token = journal_->last() ? journal_->last()->continuation_token : "";
  int failures = 0;
  while (!stop_.load()) {
    bool need_arn;
    {
      std::lock_guard lock(stats_mu_);
      need_arn = arn_.empty();
    }
    if (need_arn) ResolveArn();
    client::GetMediaOptions options;
    options.url = env_.url;
    options.stream_name = stream_.name;
    options.credentials = env_.credentials;
    options.region = env_.region;
    options.start = token.empty() ? client::GetMediaStart{"NOW", "", 0}
                                  : client::GetMediaStart{"CONTINUATION_TOKEN", token, 0};
    Result<std::unique_ptr<client::GetMediaReader>> reader = client::GetMediaReader::Open(options);
    if (!reader.ok()) {
      log::Warn("ml", "GetMedia failed; retrying",
                {{"stream", stream_.name}, {"error", reader.status().ToString()}});
      {
        std::lock_guard lock(stats_mu_);
        ++stats_.errors;
      }
      const auto delay = std::chrono::milliseconds(std::min(5000, 250 << std::min(failures++, 5)));
      for (auto until = std::chrono::steady_clock::now() + delay;
           !stop_.load() && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      continue;
    }
    {
      std::lock_guard lock(reader_mu_);
      live_reader_ = reader->get();
      if (stop_.load()) (*reader)->Abort();
    }
    while (true) {
      Result<client::MediaFragment> fragment = (*reader)->Next();
      if (!fragment.ok()) {
        if (!stop_.load()) {
          log::Info("ml", "GetMedia ended; reconnecting",
                    {{"stream", stream_.name}, {"status", fragment.status().ToString()}});
        }
        break;
      }
      failures = 0;
      token = fragment->continuation_token;
      Ingest(std::move(fragment).value());
    }
    std::lock_guard lock(reader_mu_);
    live_reader_ = nullptr;
  }
}

void StreamWorker::Ingest(client::MediaFragment fragment) {
  std::vector<Frame> frames;
  if (Status status = frames_.Decode(fragment, &frames); !status.ok()) {
    log::Warn("ml", "fragment not fully decoded",
              {{"stream", stream_.name}, {"fragment", fragment.fragment_number},
               {"error", status.ToString()}});
    std::lock_guard lock(stats_mu_);
    ++stats_.errors;
  }
  for (Frame& frame : frames) queue_.PushFrame(std::move(frame));
  queue_.PushEnd(std::move(fragment));
}

// --- analyser thread -------------------------------------------------------

void StreamWorker::AnalyseLoop() {
  while (std::optional<QueueItem> item = queue_.Pop()) {
    if (item->frame) {
      Analyse(std::move(*item->frame));
    } else if (item->end) {
      FinishFragment(*item->end);
    }
  }
  // Stopping: end the open tracks so their end events (and best snapshots)
  // are not lost; they are published without advancing the journal.
  for (const TrackEvent& e : tracker_->Flush()) {
    EndTrack(e, EventSource{stream_.name, analyser_arn_, "", 0, 0});
  }
  if (!PublishPending()) log::Warn("ml", "events at stop not published");
}

void StreamWorker::Analyse(Frame frame) {
  const int64_t t = frame.pts_us;
  const int w = frame.width;
  const int h = frame.height;
  std::vector<Detection> all;
  bool gated = false;
  for (const auto& detector : detectors_) {
    const bool is_motion = detector->config().type == "motion";
    if (!is_motion && stream_.motion_gate &&
        t - last_motion_us_ > stream_.motion_gate_hold_ms * 1000) {
      gated = true;
      continue;
    }
    Result<std::vector<Detection>> found = detector->Detect(frame);
    if (!found.ok()) {
      log::Warn("ml", "detector failed",
                {{"stream", stream_.name}, {"detector", detector->config().type},
                 {"error", found.status().ToString()}});
      std::lock_guard lock(stats_mu_);
      ++stats_.errors;
      continue;
    }
    if (is_motion && !found->empty()) last_motion_us_ = t;
    for (Detection& d : *found) all.push_back(std::move(d));
  }
  zones_.ApplyMasks(&all, w, h);
  const TrackerUpdate update = tracker_->Update(t, w, h, all);
  const std::vector<IntrusionAlert> alerts = rules_->Update(t, w, h, update);
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.frames_analysed;
    if (gated) ++stats_.frames_gated;
    analyser_arn_ = arn_;
  }
  const EventSource source{stream_.name, analyser_arn_, frame.fragment_number,
                           frame.producer_timestamp_ms, frame.server_timestamp_ms};

  for (const TrackedDetection& d : update.detections) {
    if (d.track_id == 0) continue;  // tentative: flickers are not events
    next_track_id_ = std::max(next_track_id_, d.track_id + 1);
    if (d.is_best) KeepBest(frame, d, update.detections);
    if (!env_.outputs.publish_detections) continue;
    auto [it, fresh] = last_detection_event_us_.try_emplace(d.track_id, t);
    if (!fresh && t - it->second < env_.outputs.detection_interval_ms * 1000) continue;
    it->second = t;
    std::vector<std::string> in = zones_.ZonesOf(d.detection.box, w, h);
    AddEvent(MakeDetectionEvent(source, t, w, h, d,
                                in.empty() ? std::nullopt : std::optional(in.front()), replay_));
  }
  for (const TrackEvent& e : update.events) {
    next_track_id_ = std::max(next_track_id_, e.track_id + 1);
    if (e.type == TrackEventType::kStart) {
      AddEvent(MakeTrackEvent(source, e, replay_));
      continue;
    }
    EndTrack(e, source);
  }
  for (const IntrusionAlert& a : alerts) {
    Event event = MakeIntrusionEvent(source, a, replay_);
    std::vector<DrawnBox> boxes;
    for (const TrackedDetection& d : update.detections) {
      boxes.push_back({d.detection.box, Caption(d.detection, d.track_id),
                       d.track_id == a.track_id});
    }
    WriteSnapshots(frame, boxes, a.detection.box, &event);
    log::Info("ml", "intrusion", {{"stream", stream_.name}, {"zone", a.zone},
                                  {"track", a.track_id}, {"event", event.event_id}});
    AddEvent(std::move(event));
  }
  // Publish as soon as the frame is analysed rather than at the fragment's
  // end: an alarm should not wait for the rest of the fragment's frames.
  // The journal still advances only at the fragment end.
  PublishPending();
}

bool StreamWorker::PublishPending() {
  if (pending_records_.empty()) return true;
  if (!env_.publisher->Publish(stream_.name, pending_records_).ok()) return false;  // stopping
  pending_records_.clear();
  return true;
}

void StreamWorker::EndTrack(const TrackEvent& e, const EventSource& fallback) {
  last_detection_event_us_.erase(e.track_id);
  auto best = best_.find(e.track_id);
  // The event describes the best detection, so it carries that frame's
  // fragment and its snapshot.
  Event event = MakeTrackEvent(best != best_.end() ? best->second.source : fallback, e, replay_);
  if (best != best_.end()) {
    const Best& b = best->second;
    WriteSnapshots(b.frame, {{b.detection.box, Caption(b.detection, e.track_id), true}},
                   b.detection.box, &event);
    if (env_.outputs.training_frames) {
      const std::string key =
          ObjectKey(ObjectKind::kTrainingFrame, stream_.name, event.frame_time_ms, event.event_id);
      auto clean = AnnotatedJpeg(b.frame, {}, 92);
      if (clean.ok() && WriteObject(env_.snapshot_dir, key, *clean).ok()) {
        event.frame_key = key;
        event.frame_detections = b.frame_detections;
      }
    }
    best_.erase(best);
  }
  AddEvent(std::move(event));
}

void StreamWorker::WriteSnapshots(const Frame& frame, const std::vector<DrawnBox>& boxes,
                                  const Box& object, Event* event) {
  const std::string key =
      ObjectKey(ObjectKind::kSnapshot, stream_.name, event->frame_time_ms, event->event_id);
  const std::string crop =
      ObjectKey(ObjectKind::kCrop, stream_.name, event->frame_time_ms, event->event_id);
  auto image = AnnotatedJpeg(frame, boxes);
  auto cropped = CropJpeg(frame, object);
  if (image.ok() && WriteObject(env_.snapshot_dir, key, *image).ok()) event->snapshot_key = key;
  if (cropped.ok() && WriteObject(env_.snapshot_dir, crop, *cropped).ok()) event->crop_key = crop;
}

void StreamWorker::KeepBest(const Frame& frame, const TrackedDetection& d,
                            const std::vector<TrackedDetection>& in_frame) {
  // One frame per track, replaced when the tracker names a better one.
  Best& b = best_[d.track_id];
  b.frame = frame;
  b.detection = d.detection;
  b.source = EventSource{stream_.name, analyser_arn_, frame.fragment_number,
                         frame.producer_timestamp_ms, frame.server_timestamp_ms};
  b.frame_detections.clear();
  for (const TrackedDetection& t : in_frame) b.frame_detections.push_back(t.detection);
}

void StreamWorker::AddEvent(Event event) {
  pending_records_.push_back(ToJson(event));
  ++fragment_events_;
}

void StreamWorker::FinishFragment(const FragmentEnd& end) {
  // Stopping when this fails: the fragment is not journaled, so it is redone.
  if (!PublishPending()) return;
  JournalEntry entry;
  entry.fragment_number = end.meta.fragment_number;
  entry.continuation_token = end.meta.continuation_token;
  entry.producer_ms = end.meta.producer_timestamp_ms;
  entry.server_ms = end.meta.server_timestamp_ms;
  entry.frames = end.frames - end.dropped;
  entry.dropped = end.dropped;
  entry.events = fragment_events_;
  entry.next_track_id = next_track_id_;
  Status s = journal_->Append(entry);
  std::lock_guard lock(stats_mu_);
  if (!s.ok()) {
    log::Error("ml", "journal append failed", {{"stream", stream_.name}, {"error", s.ToString()}});
    ++stats_.errors;
  }
  ++stats_.fragments;
  stats_.frames_dropped += end.dropped;
  stats_.events += fragment_events_;
  stats_.last_fragment = end.meta.fragment_number;
  fragment_events_ = 0;
}

}  // namespace osprey::ml_hooks::pipeline
