// FragmentReader: streams stored fragments to one HTTP response as GetMedia
// chunks (video-api.md section 5; bytes in fragments/FORMAT.md section 3).
// GetMedia and GetMediaForFragmentList share it:
//
//  * follow mode (GetMedia): chunks from the first fragment after a cursor
//    index, in index order, then every fragment persisted later, until the
//    client goes away, the server shuts down or the stream is deleted;
//  * list mode (GetMediaForFragmentList): the given indices in the given
//    order, then the end of the response.
//
// One step at a time: look the next fragment up in the log's index (memory),
// read it on the FragmentReadPool (the store serves the newest fragments
// from memory, older ones from disk), Write() the chunk, and only when its
// done callback reports it on the socket take the next step. So a reader
// holds at most one chunk, the connection strand never touches the disk,
// and a slow client slows only itself.
//
// At the live head the reader waits for the log's new-fragment callback
// (no polling); the callback only posts a step to the pool, so ingest never
// waits for readers. A reader that has reached the live head and then falls
// more than max_live_lag_bytes behind (bytes persisted but not yet sent) is
// sent error 3002 and closed: it would never catch up, and its client can
// resume from the last CONTINUATION_TOKEN.
//
// Endings (spec 5: an error is a final chunk with ERROR_ID and ERROR_CODE,
// then the response ends):
//   4000 FRAGMENT_NOT_FOUND  the store lost a fragment its index still lists
//                            (list mode: a requested fragment is gone)
//   5000 INTERNAL_ERROR      Corruption or I/O error reading a fragment
//   3002 READER_TOO_SLOW     the live lag limit above
//   4008 STREAM_NOT_ACTIVE   the stream was deleted (as PutMedia's ack)
// In follow mode a fragment that retention removed (gone from the index as
// well) is skipped. Server shutdown ends the response cleanly after the
// chunk in flight, without an error chunk.
//
// Thread safety: every public method may be called from any thread. State
// is guarded by one mutex that is never held across a call into the
// Exchange or a fragment read.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "osprey/fragments/fragment_store.h"
#include "osprey/server/http.h"
#include "video/fragment_reader_pool.h"

namespace osprey::server::video {

// Error ids and codes of the final chunk (see above).
inline constexpr int kErrorWrite = 3002;
inline constexpr int kErrorFragmentNotFound = 4000;
inline constexpr int kErrorStreamNotActive = 4008;
inline constexpr int kErrorInternal = 5000;

struct FragmentReaderOptions {
  // Follow mode (GetMedia) when true; list mode (`indices`) otherwise.
  bool follow = false;
  // Follow: the first chunk is the first fragment with index > after_index.
  uint64_t after_index = 0;
  // List: the fragments to send, in this order (duplicates allowed).
  std::vector<uint64_t> indices;
  // For the 47-digit fragment numbers (fragment_number.h).
  int64_t stream_creation_ms = 0;
  // Follow: see the header comment (VideoLimits::get_media_queue_bytes).
  uint64_t max_live_lag_bytes = 64u << 20;
  // Follow: once a chunk has been sent, a 2-byte EBML Void element (legal
  // inside the open Segment, skipped by every Matroska reader) is written
  // after this long without data, so a client that went away is noticed
  // and its connection slot freed. 0: never.
  int64_t heartbeat_ms = 5000;
  // Epoch ms for MILLIS_BEHIND_NOW; default the system clock.
  std::function<int64_t()> clock;
  // Default FragmentReadPool::Shared().
  FragmentReadPool* pool = nullptr;
  // Runs once when the reader has ended, however it ended (any thread).
  std::function<void()> on_end;
};

class FragmentReader : public std::enable_shared_from_this<FragmentReader> {
 public:
  // Use Create().
  FragmentReader(std::shared_ptr<Exchange> exchange, std::shared_ptr<fragments::FragmentLog> log,
                 FragmentReaderOptions options);
  ~FragmentReader();

  static std::shared_ptr<FragmentReader> Create(std::shared_ptr<Exchange> exchange,
                                                std::shared_ptr<fragments::FragmentLog> log,
                                                FragmentReaderOptions options);

  // Sends 200 (Content-Type video/webm), subscribes to the log (follow) and
  // starts streaming. Call once. The reader keeps itself alive until it ends.
  void Start();

  // The stream was deleted: final chunk 4008, end.
  void OnStreamDeleted();
  // From a ticker, about once a second: heartbeat (see options).
  void Tick();

  bool ended() const;

 private:
  void OnNewFragment(const fragments::FragmentMeta& meta);
  void Step();
  void ReadAndSend(uint64_t index);
  void OnWritten(uint64_t index, Status status);
  void OnShutdown();
  // Sends the error chunk (unless the reader already ended), then ends.
  void Fail(int error_id, std::string_view error_code, uint64_t index, std::string_view why);
  // REQUIRES: mu_ held, !ended_. Marks the end; the caller runs the returned
  // cleanup (outside mu_).
  std::function<void()> EndLocked();
  std::string NumberOf(uint64_t index) const;
  int64_t Now() const;

  const std::shared_ptr<Exchange> exchange_;
  const std::shared_ptr<fragments::FragmentLog> log_;
  const FragmentReaderOptions options_;
  FragmentReadPool* const pool_;

  mutable std::mutex mu_;
  std::shared_ptr<FragmentReader> self_;  // GUARDED_BY(mu_); set while running
  bool started_ = false;                  // GUARDED_BY(mu_)
  bool ended_ = false;                    // GUARDED_BY(mu_)
  bool busy_ = false;                     // GUARDED_BY(mu_); a read or write in flight
  uint64_t cursor_ = 0;                   // GUARDED_BY(mu_); follow: last index handled
  size_t list_pos_ = 0;                   // GUARDED_BY(mu_); list: next position
  uint64_t chunks_sent_ = 0;              // GUARDED_BY(mu_)
  int64_t last_write_ms_ = 0;             // GUARDED_BY(mu_); steady ms
  bool live_ = false;                     // GUARDED_BY(mu_); reached the live head once
  struct Notified {
    uint64_t index;
    uint64_t bytes;
    int64_t at_us;  // steady clock, for the live delay histogram
  };
  std::deque<Notified> lag_;              // GUARDED_BY(mu_); notified, not yet sent
  uint64_t lag_bytes_ = 0;                // GUARDED_BY(mu_)
  std::optional<uint64_t> subscription_;  // GUARDED_BY(mu_)
};

}  // namespace osprey::server::video
