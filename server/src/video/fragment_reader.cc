#include "video/fragment_reader.h"

#include <chrono>

#include "osprey/base/logging.h"
#include "osprey/base/metrics.h"
#include "osprey/fragments/fragment_number.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::server::video {

namespace {

int64_t SteadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A Void element of size 0: the smallest thing we can write inside the open
// Segment that every Matroska reader skips.
constexpr std::string_view kVoidElement("\xEC\x80", 2);

struct ReaderMetrics {
  Histogram* live_delay;
  Counter* chunks_follow;
  Counter* chunks_list;
  Family<Counter>* errors;

  static const ReaderMetrics& Get() {
    static const ReaderMetrics m = [] {
      auto& r = MetricsRegistry::Global();
      ReaderMetrics out;
      // The live-tail latency the benchmark reports: from the store's
      // new-fragment callback (the fragment is persisted) to its chunk
      // being on the reader's socket.
      out.live_delay = r.HistogramFamily(
                            "osprey_get_media_live_delay_seconds",
                            "GetMedia at the live head: fragment persisted to its chunk sent",
                            {}, {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5})
                           ->WithLabels({});
      auto* chunks = r.CounterFamily("osprey_get_media_chunks_total",
                                     "Fragment chunks sent by GetMedia and "
                                     "GetMediaForFragmentList",
                                     {"api"});
      out.chunks_follow = chunks->WithLabels({"getMedia"});
      out.chunks_list = chunks->WithLabels({"getMediaForFragmentList"});
      out.errors = r.CounterFamily("osprey_get_media_error_chunks_total",
                                   "Responses ended with an error chunk, by ERROR_ID",
                                   {"error_id"});
      return out;
    }();
    return m;
  }
};

}  // namespace

FragmentReader::FragmentReader(std::shared_ptr<Exchange> exchange,
                               std::shared_ptr<fragments::FragmentLog> log,
                               FragmentReaderOptions options)
    : exchange_(std::move(exchange)),
      log_(std::move(log)),
      options_(std::move(options)),
      pool_(options_.pool ? options_.pool : &FragmentReadPool::Shared()) {
  cursor_ = options_.after_index;
}

FragmentReader::~FragmentReader() = default;

std::shared_ptr<FragmentReader> FragmentReader::Create(std::shared_ptr<Exchange> exchange,
                                                       std::shared_ptr<fragments::FragmentLog> log,
                                                       FragmentReaderOptions options) {
  return std::make_shared<FragmentReader>(std::move(exchange), std::move(log), std::move(options));
}

int64_t FragmentReader::Now() const { return options_.clock ? options_.clock() : SystemMs(); }

std::string FragmentReader::NumberOf(uint64_t index) const {
  return fragments::FormatFragmentNumber(options_.stream_creation_ms, index);
}

bool FragmentReader::ended() const {
  std::lock_guard lock(mu_);
  return ended_;
}

void FragmentReader::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return;
    started_ = true;
    self_ = shared_from_this();
    last_write_ms_ = SteadyUs() / 1000;
  }
  Headers headers;
  headers.Add("Content-Type", "video/webm");
  exchange_->StartResponse(200, std::move(headers));
  std::weak_ptr<FragmentReader> weak = weak_from_this();
  exchange_->OnShutdown([weak] {
    if (auto self = weak.lock()) self->OnShutdown();
  });
  if (options_.follow) {
    // Subscribing before the first step loses nothing: a fragment published
    // before it is found by that step's index lookup, one published after
    // it wakes the reader.
    uint64_t id = log_->Subscribe([weak](const fragments::FragmentMeta& meta) {
      if (auto self = weak.lock()) self->OnNewFragment(meta);
    });
    std::lock_guard lock(mu_);
    if (ended_) {
      log_->Unsubscribe(id);
    } else {
      subscription_ = id;
    }
  }
  Step();
}

void FragmentReader::OnNewFragment(const fragments::FragmentMeta& meta) {
  bool wake = false;
  bool too_slow = false;
  {
    std::lock_guard lock(mu_);
    if (ended_ || !started_) return;
    if (live_ && meta.index > cursor_) {
      lag_.push_back(Notified{meta.index, meta.size_bytes, SteadyUs()});
      lag_bytes_ += meta.size_bytes;
      too_slow = lag_bytes_ > options_.max_live_lag_bytes;
    }
    wake = !busy_;
  }
  if (too_slow) {
    return Fail(kErrorWrite, "READER_TOO_SLOW", meta.index,
                "the reader fell more than " + std::to_string(options_.max_live_lag_bytes) +
                    " bytes behind the live head");
  }
  // This runs on the store's thread, which must not wait for us: the index
  // lookup and the read happen on the pool.
  if (wake) {
    pool_->Post([self = shared_from_this()] { self->Step(); });
  }
}

void FragmentReader::Step() {
  uint64_t target = 0;
  {
    std::unique_lock lock(mu_);
    if (ended_ || busy_ || !started_) return;
    if (options_.follow) {
      std::optional<fragments::FragmentMeta> next = log_->After(cursor_);
      if (!next) {
        live_ = true;  // at the head: wait for OnNewFragment
        return;
      }
      target = next->index;
    } else {
      if (list_pos_ >= options_.indices.size()) {
        auto cleanup = EndLocked();
        lock.unlock();
        exchange_->Finish();
        cleanup();
        return;
      }
      target = options_.indices[list_pos_];
    }
    busy_ = true;
  }
  pool_->Post([self = shared_from_this(), target] { self->ReadAndSend(target); });
}

void FragmentReader::ReadAndSend(uint64_t index) {
  Result<fragments::StoredFragment> read = log_->Read(index);
  if (!read.ok()) {
    const Status& s = read.status();
    if (s.code() == Status::Code::kNotFound && options_.follow && !log_->Find(index)) {
      // Gone from the index too: retention removed it between the lookup
      // and the read. GetMedia moves on to the next one.
      {
        std::lock_guard lock(mu_);
        if (ended_) return;
        cursor_ = index;
        busy_ = false;
      }
      return Step();
    }
    if (s.code() == Status::Code::kNotFound) {
      return Fail(kErrorFragmentNotFound, "FRAGMENT_NOT_FOUND", index, s.ToString());
    }
    return Fail(kErrorInternal, "INTERNAL_ERROR", index, s.ToString());
  }
  const fragments::StoredFragment& f = read.value();
  fragments::GetMediaChunk chunk;
  chunk.stream_header = f.stream_header;
  chunk.fragment_number = NumberOf(index);
  chunk.server_timestamp_ms = f.meta.server_timestamp_ms;
  chunk.producer_timestamp_ms = f.meta.producer_timestamp_ms;
  chunk.cluster = f.cluster;
  chunk.fragment_metadata = f.metadata;
  chunk.millis_behind_now = std::max<int64_t>(0, Now() - f.meta.server_timestamp_ms);
  chunk.continuation_token = chunk.fragment_number;
  std::string bytes = fragments::WriteGetMediaChunk(chunk);
  {
    std::lock_guard lock(mu_);
    if (ended_) return;  // shut down or failed while we read
  }
  exchange_->Write(std::move(bytes), [self = shared_from_this(), index](Status status) {
    self->OnWritten(index, status);
  });
}

void FragmentReader::OnWritten(uint64_t index, Status status) {
  std::function<void()> cleanup;
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    if (!status.ok()) {
      cleanup = EndLocked();  // the client went away: nothing more to say
    } else {
      const ReaderMetrics& m = ReaderMetrics::Get();
      (options_.follow ? m.chunks_follow : m.chunks_list)->Increment();
      busy_ = false;
      ++chunks_sent_;
      last_write_ms_ = SteadyUs() / 1000;
      if (options_.follow) {
        cursor_ = index;
        while (!lag_.empty() && lag_.front().index <= index) {
          if (lag_.front().index == index) {
            m.live_delay->Observe(static_cast<double>(SteadyUs() - lag_.front().at_us) / 1e6);
          }
          lag_bytes_ -= lag_.front().bytes;
          lag_.pop_front();
        }
      } else {
        ++list_pos_;
      }
    }
  }
  if (cleanup) return cleanup();
  Step();
}

void FragmentReader::Tick() {
  if (!options_.follow || options_.heartbeat_ms <= 0) return;
  {
    std::lock_guard lock(mu_);
    const int64_t now_ms = SteadyUs() / 1000;
    if (ended_ || busy_ || chunks_sent_ == 0 || now_ms - last_write_ms_ < options_.heartbeat_ms) {
      return;
    }
    last_write_ms_ = now_ms;
  }
  exchange_->Write(std::string(kVoidElement), [self = shared_from_this()](Status status) {
    if (status.ok()) return;
    std::function<void()> cleanup;
    {
      std::lock_guard lock(self->mu_);
      if (self->ended_) return;
      cleanup = self->EndLocked();
    }
    cleanup();
  });
}

void FragmentReader::OnShutdown() {
  std::function<void()> cleanup;
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    cleanup = EndLocked();
  }
  // The chunk in flight (if any) goes out first: writes keep their order.
  exchange_->Finish();
  cleanup();
}

void FragmentReader::OnStreamDeleted() {
  uint64_t at = 0;
  {
    std::lock_guard lock(mu_);
    at = cursor_;
  }
  Fail(kErrorStreamNotActive, "STREAM_NOT_ACTIVE", at, "the stream was deleted");
}

void FragmentReader::Fail(int error_id, std::string_view error_code, uint64_t index,
                          std::string_view why) {
  std::function<void()> cleanup;
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    cleanup = EndLocked();
  }
  log::Warn("video", "media response ended with an error chunk",
            {{"error_id", error_id}, {"error_code", error_code}, {"why", why},
             {"request_id", exchange_->request().request_id}});
  ReaderMetrics::Get().errors->WithLabels({std::to_string(error_id)})->Increment();
  exchange_->Write(fragments::WriteGetMediaErrorChunk(NumberOf(index), error_id, error_code));
  exchange_->Finish();
  cleanup();
}

std::function<void()> FragmentReader::EndLocked() {
  ended_ = true;
  std::optional<uint64_t> subscription = std::exchange(subscription_, std::nullopt);
  // Released by the caller outside mu_: dropping the last reference here
  // would destroy the mutex we hold.
  std::shared_ptr<FragmentReader> self = std::move(self_);
  lag_.clear();
  return [log = log_, subscription, self = std::move(self), on_end = options_.on_end] {
    if (subscription) log->Unsubscribe(*subscription);
    if (on_end) on_end();
  };
}

}  // namespace osprey::server::video
