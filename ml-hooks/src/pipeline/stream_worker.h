// StreamWorker: everything osprey-ml does for one camera stream.
//
// Two threads joined by a FrameQueue (frame_queue.h):
//  - reader: GetMedia from the journal's continuation token (NOW on a first
//    run), demux, decode at the configured rate, queue frames; on a dropped
//    connection it reconnects with the token of the last fragment it read.
//    It never waits for the detectors, so the server never buffers for us.
//  - analyser: detectors (motion first; with motion_gate the others only on
//    frames near motion), masks, tracker, intrusion rules, events and
//    snapshots; it publishes each frame's events once the frame is analysed,
//    and at each fragment end, with every event of the fragment accepted, it
//    appends the fragment to the journal (journal.h).
// So after a restart nothing is skipped (the journal only names fragments
// whose events were accepted) and a fragment is analysed again only when the
// process died between publishing and journaling it (events keep their ids).
//
// Threading: Start/Stop/Arm/stats from the runner's thread; the worker's own
// two threads do the rest.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "osprey/client/get_media_reader.h"
#include "osprey/ml_hooks/config.h"
#include "osprey/ml_hooks/detector.h"
#include "osprey/ml_hooks/event.h"
#include "osprey/ml_hooks/rules.h"
#include "osprey/ml_hooks/runner.h"
#include "osprey/ml_hooks/tracker.h"
#include "osprey/ml_hooks/zones.h"
#include "osprey/ml_hooks/fragment_frames.h"
#include "pipeline/frame_queue.h"
#include "pipeline/journal.h"
#include "pipeline/publisher.h"
#include "pipeline/snapshots.h"

namespace osprey::ml_hooks::pipeline {

struct WorkerEnv {
  client::Url url;
  auth::Credentials credentials;
  std::string region;
  std::string state_dir;
  std::string snapshot_dir;
  OutputConfig outputs;
  EventPublisher* publisher = nullptr;  // shared, outlives the worker
};

class StreamWorker {
 public:
  // Builds detectors, zones and rules, and opens the journal: a bad
  // configuration fails here, before any thread starts.
  static Result<std::unique_ptr<StreamWorker>> Create(const MlConfig& config,
                                                      const StreamConfig& stream,
                                                      const WorkerEnv& env);
  ~StreamWorker();

  void Start();
  // Stops both threads; tracks still open are ended and their events
  // published (best effort, within the publisher's stop).
  void Stop();

  Status Arm(const std::string& rule, bool armed, std::optional<int64_t> until_ms);
  Status ClearArm(const std::string& rule);
  StreamStats stats() const;
  const std::string& name() const { return stream_.name; }

 private:
  StreamWorker(const StreamConfig& stream, const WorkerEnv& env);

  void ReadLoop();
  void AnalyseLoop();
  // One fragment: demux, decode, queue. Errors are counted, not fatal.
  void Ingest(client::MediaFragment fragment);
  void Analyse(Frame frame);
  void FinishFragment(const FragmentEnd& end);
  void AddEvent(Event event);
  // Publishes the queued records; false when the publisher is stopping.
  bool PublishPending();
  // `in_frame`: every detection of the frame, kept for training frames.
  void KeepBest(const Frame& frame, const TrackedDetection& d,
                const std::vector<TrackedDetection>& in_frame);
  // Writes the annotated frame and the crop of `object`; sets the keys.
  void WriteSnapshots(const Frame& frame, const std::vector<DrawnBox>& boxes, const Box& object,
                      Event* event);
  // A track's end event with its best snapshot; `fallback` names the
  // fragment when no best frame was kept.
  void EndTrack(const TrackEvent& e, const EventSource& fallback);
  void ResolveArn();

  const StreamConfig stream_;
  const WorkerEnv env_;
  const ReplayWindow replay_;

  std::vector<std::unique_ptr<Detector>> detectors_;  // motion first
  ZoneSet zones_;
  std::unique_ptr<RuleEngine> rules_;
  std::unique_ptr<Tracker> tracker_;
  std::unique_ptr<FragmentJournal> journal_;
  FrameQueue queue_;

  std::atomic<bool> stop_{false};
  std::thread reader_thread_;
  std::thread analyser_thread_;
  std::mutex reader_mu_;
  client::GetMediaReader* live_reader_ = nullptr;  // GUARDED_BY(reader_mu_), for Abort

  // Reader thread only (arn_ is written under stats_mu_, read by the
  // analyser under it).
  std::string arn_;
  FragmentFrames frames_;

  // Analyser thread only.
  std::string analyser_arn_;
  int64_t last_motion_us_ = INT64_MIN / 2;
  std::map<uint64_t, int64_t> last_detection_event_us_;
  struct Best {
    Frame frame;
    Detection detection;
    EventSource source;
    std::vector<Detection> frame_detections;
  };
  std::map<uint64_t, Best> best_;  // track id -> best frame so far
  std::vector<std::string> pending_records_;
  int64_t fragment_events_ = 0;
  uint64_t next_track_id_ = 1;

  mutable std::mutex stats_mu_;
  StreamStats stats_;  // GUARDED_BY(stats_mu_)
};

}  // namespace osprey::ml_hooks::pipeline
