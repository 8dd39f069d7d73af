#include "kinesis/subscribe_to_shard.h"

#include <atomic>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "kinesis/event_stream.h"
#include "kinesis/shard_output.h"
#include "osprey/base/logging.h"

namespace osprey::server::kinesis {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kIdleEvent = std::chrono::seconds(5);
constexpr auto kLifetime = std::chrono::seconds(300);
constexpr auto kTakeoverGuard = std::chrono::seconds(5);

struct Subscription {
  std::shared_ptr<Exchange> exchange;
  Codec codec = Codec::kJson;
  std::string key;  // consumer ARN + shard id
  std::string stream;
  uint32_t shard_index = 0;
  uint64_t next_index = 0;
  std::string continuation;  // ContinuationSequenceNumber so far
  Clock::time_point started, last_event;
  std::atomic<bool> in_flight{false};
  std::atomic<bool> done{false};
};

std::string_view EventContentType(Codec codec) {
  return codec == Codec::kJson ? "application/json" : kCborContentType;
}

std::string ErrorPayload(Codec codec, std::string_view message) {
  std::string body;
  auto out = Output::For(codec, &body);
  out->BeginObject().Key("message").String(message).EndObject();
  return body;
}

}  // namespace

struct Subscriptions::State {
  KinesisContext* ctx;
  std::weak_ptr<State> self;  // for callbacks that may outlive the State
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool pending = false;  // GUARDED_BY(mu): Notify() since the pump last looked
  std::list<std::shared_ptr<Subscription>> live;  // GUARDED_BY(mu)
  std::atomic<size_t> live_count{0};  // live.size(), read without the lock
  std::thread pump;

  void Loop();
  // One step of `s`: false when it has ended.
  bool Step(const std::shared_ptr<Subscription>& sub);
  void End(Subscription& s, std::string_view exception, std::string_view message);
  void Notify();
  Status Begin(const std::shared_ptr<Exchange>& ex, Codec codec, const Input& in);
};

void Subscriptions::State::End(Subscription& s, std::string_view exception,
                               std::string_view message) {
  if (s.done.exchange(true)) return;
  if (!exception.empty()) {
    s.exchange->Write(EncodeException(exception, EventContentType(s.codec),
                                      ErrorPayload(s.codec, message)));
  }
  s.exchange->Finish();
}

bool Subscriptions::State::Step(const std::shared_ptr<Subscription>& sub) {
  Subscription& s = *sub;
  if (s.done) return false;
  if (s.in_flight) return true;
  auto now = Clock::now();
  if (now - s.started >= kLifetime) {
    End(s, "", "");
    return false;
  }
  streams::ReadLimits limits;
  limits.max_records = 10000;
  limits.max_bytes = 2u << 20;
  auto read = ctx->engine->ReadShard(s.stream, s.shard_index, s.next_index, limits);
  if (!read.ok()) {
    ApiError e = ToApiError(read.status());
    End(s, e.status >= 500 ? "InternalFailureException" : e.type, e.message);
    return false;
  }
  if (read->records.empty() && !read->shard_end && now - s.last_event < kIdleEvent) return true;
  s.next_index = read->next_index;
  if (!read->records.empty()) s.continuation = read->records.back().sequence_number;
  std::string body;
  auto out = Output::For(s.codec, &body);
  out->BeginObject().Key("Records").BeginArray();
  for (const auto& r : read->records) WriteRecord(*out, r);
  out->EndArray();
  // At shard end the continuation is omitted and ChildShards given (spec 7).
  if (!read->shard_end) out->Key("ContinuationSequenceNumber").String(s.continuation);
  out->Key("MillisBehindLatest").Int64(read->millis_behind_latest);
  if (read->shard_end) WriteChildShards(*out, read->child_shards);
  out->EndObject();
  s.last_event = now;
  s.in_flight = true;
  // Records put while this event is in flight only notified a pump that
  // skipped this subscription: look again once the write completes.
  s.exchange->Write(EncodeEvent("SubscribeToShardEvent", EventContentType(s.codec), body),
                    [weak = self, sub](Status st) {
                      if (!st.ok()) sub->done = true;
                      sub->in_flight = false;
                      if (auto state = weak.lock()) state->Notify();
                    });
  if (read->shard_end) {
    End(s, "", "");
    return false;
  }
  return true;
}

void Subscriptions::State::Loop() {
  std::unique_lock lock(mu);
  while (!stopping) {
    cv.wait_for(lock, Subscriptions::kPollInterval, [this] { return stopping || pending; });
    pending = false;
    auto snapshot = live;
    lock.unlock();
    for (auto& s : snapshot) Step(s);
    lock.lock();
    // A subscription leaves the list once it has ended and nothing is in
    // flight, so no write callback can outlive it.
    live.remove_if([](const std::shared_ptr<Subscription>& s) { return s->done && !s->in_flight; });
    live_count = live.size();
  }
  for (auto& s : live) End(*s, "", "");
}

Status Subscriptions::State::Begin(const std::shared_ptr<Exchange>& ex, Codec codec,
                                   const Input& in) {
  OSPREY_ASSIGN_OR_RETURN(auto consumer_arn, in.String("ConsumerARN"));
  OSPREY_ASSIGN_OR_RETURN(auto shard_id, in.String("ShardId"));
  OSPREY_ASSIGN_OR_RETURN(auto position, in.Object("StartingPosition"));
  std::optional<std::string> type, seq;
  std::optional<int64_t> ts;
  if (position) {
    OSPREY_ASSIGN_OR_RETURN(type, position->String("Type"));
    OSPREY_ASSIGN_OR_RETURN(seq, position->String("SequenceNumber"));
    OSPREY_ASSIGN_OR_RETURN(ts, position->TimestampMs("Timestamp"));
  }
  Validation v;
  v.Required("ConsumerARN", consumer_arn.has_value());
  v.Length("ConsumerARN", consumer_arn, 1, 2048);
  v.Required("ShardId", shard_id.has_value());
  v.Length("ShardId", shard_id, 1, 128);
  v.Required("StartingPosition", position.has_value());
  if (position) v.Required("StartingPosition.Type", type.has_value());
  v.Enum("StartingPosition.Type", type,
         {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"});
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_ASSIGN_OR_RETURN(auto consumer, ctx->engine->DescribeConsumerByArn(*consumer_arn));
  if (consumer.status != streams::ConsumerStatus::kActive) {
    return Status::FailedPrecondition("Consumer " + *consumer_arn + " is not ACTIVE.");
  }
  OSPREY_ASSIGN_OR_RETURN(std::string stream, ctx->engine->StreamNameFromArn(consumer.stream_arn));
  streams::IteratorRequest request;
  request.type = *streams::ParseIteratorType(*type);
  request.starting_sequence_number = seq;
  request.timestamp_ms = ts;
  OSPREY_ASSIGN_OR_RETURN(auto pos, ctx->engine->ResolvePosition(stream, *shard_id, request));

  auto sub = std::make_shared<Subscription>();
  sub->exchange = ex;
  sub->codec = codec;
  sub->key = *consumer_arn + "|" + std::to_string(pos.shard_index);
  sub->stream = stream;
  sub->shard_index = pos.shard_index;
  sub->next_index = pos.index;
  sub->started = sub->last_event = Clock::now();
  // Before any record is delivered the continuation is the record just
  // before the start, or the shard's StartingSequenceNumber (spec 7).
  if (pos.index > 0) {
    auto prev = ctx->engine->ReadShard(stream, pos.shard_index, pos.index - 1, {1, 1u << 20});
    if (prev.ok() && !prev->records.empty() && prev->records[0].sequence_index == pos.index - 1) {
      sub->continuation = prev->records[0].sequence_number;
    }
  }
  if (sub->continuation.empty()) {
    OSPREY_ASSIGN_OR_RETURN(auto d, ctx->engine->DescribeStream(stream));
    for (const auto& s : d.shards) {
      if (s.index == pos.shard_index) sub->continuation = s.starting_sequence_number;
    }
  }
  {
    std::lock_guard lock(mu);
    for (auto& other : live) {
      if (other->key != sub->key || other->done) continue;
      if (Clock::now() - other->started < kTakeoverGuard) {
        return Status::FailedPrecondition("Another active subscription exists for this consumer: " +
                                          *consumer_arn + " and shard " + *shard_id + ".");
      }
    }
  }
  Headers headers;
  headers.Add("Content-Type", "application/vnd.amazon.eventstream");
  ex->StartResponse(200, std::move(headers));
  std::string initial;
  Output::For(codec, &initial)->BeginObject().EndObject();
  ex->Write(EncodeEvent("initial-response", EventContentType(codec), initial));
  std::weak_ptr<Subscription> weak = sub;
  ex->OnShutdown([this, weak] {
    if (auto s = weak.lock()) End(*s, "", "");
  });
  std::lock_guard lock(mu);
  for (auto& other : live) {
    if (other->key == sub->key && !other->done) {
      End(*other, "ResourceInUseException", "Another subscription has taken over this shard.");
    }
  }
  live.push_back(std::move(sub));
  live_count = live.size();
  cv.notify_one();
  return Status::Ok();
}

void Subscriptions::State::Notify() {
  if (live_count.load(std::memory_order_relaxed) == 0) return;
  {
    std::lock_guard lock(mu);
    pending = true;
  }
  cv.notify_one();
}

std::function<void()> Subscriptions::Notifier() const {
  return [weak = std::weak_ptr<State>(state_)] {
    if (auto state = weak.lock()) state->Notify();
  };
}

Subscriptions::Subscriptions(KinesisContext* ctx) : state_(std::make_shared<State>()) {
  state_->ctx = ctx;
  state_->self = state_;
  state_->pump = std::thread([s = state_.get()] { s->Loop(); });
}

Subscriptions::~Subscriptions() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_one();
  state_->pump.join();
}

void Subscriptions::Start(std::shared_ptr<Exchange> exchange) {
  const Request& request = exchange->request();
  auto codec = CodecFromContentType(request.headers.Get("Content-Type").value_or(""));
  if (!codec) {
    exchange->Respond(Failure(Codec::kJson, {400, "UnknownOperationException", ""}));
    return;
  }
  auto input = Input::Decode(*codec, request.body);
  Status s = input.ok() ? state_->Begin(exchange, *codec, *input) : input.status();
  if (!s.ok()) exchange->Respond(Failure(*codec, ToApiError(s)));
}

}  // namespace osprey::server::kinesis
