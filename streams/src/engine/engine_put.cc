// StreamEngineImpl: the put path. Records are hashed and checked without
// the lock, routed and handed to the shard logs under a shared lock, and
// the batch completes when every shard involved has acknowledged.
#include <algorithm>

#include "engine_impl.h"
#include "osprey/streams/sequence_number.h"

namespace osprey::streams::engine {
namespace {

// Shared by the per-shard append callbacks of one PutRecords call.
struct Batch {
  std::vector<PutRecordResult> results;
  std::atomic<size_t> remaining{0};
  StreamEngine::PutRecordsCallback done;

  void Finish() {
    if (remaining.fetch_sub(1) == 1) done(std::move(results));
  }
};

struct Group {
  std::shared_ptr<ShardRuntime> shard;
  int64_t created_ms = 0;
  std::vector<size_t> entries;  // request positions, in request order
};

}  // namespace

bool StreamEngineImpl::TakeWriteBudget(ShardRuntime* shard, size_t bytes, int64_t now_ms) {
  const double byte_rate = static_cast<double>(options_.shard_write_bytes_per_second);
  const double record_rate = static_cast<double>(options_.shard_write_records_per_second);
  std::lock_guard lock(shard->throttle_mu);
  if (shard->byte_tokens < 0) {
    shard->byte_tokens = byte_rate;
    shard->record_tokens = record_rate;
    shard->refill_ms = now_ms;
  }
  // Buckets hold at most one second's worth, refilled continuously.
  const double elapsed_s = static_cast<double>(std::max<int64_t>(0, now_ms - shard->refill_ms)) / 1000.0;
  shard->refill_ms = std::max(shard->refill_ms, now_ms);
  shard->byte_tokens = std::min(byte_rate, shard->byte_tokens + elapsed_s * byte_rate);
  shard->record_tokens = std::min(record_rate, shard->record_tokens + elapsed_s * record_rate);
  if (shard->record_tokens < 1 || shard->byte_tokens < static_cast<double>(bytes)) return false;
  shard->record_tokens -= 1;
  shard->byte_tokens -= static_cast<double>(bytes);
  return true;
}

void StreamEngineImpl::PutRecordsAsync(std::string_view stream, std::vector<RecordInput> records,
                                       PutRecordsCallback done) {
  if (records.empty()) {
    done(Status::InvalidArgument("PutRecords needs at least one record."));
    return;
  }
  // Hash outside the lock: MD5 is the per-record cost of routing.
  std::vector<HashKey> keys(records.size());
  size_t total = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordInput& r = records[i];
    if (r.explicit_hash_key) {
      auto k = ParseHashKey(*r.explicit_hash_key);
      if (!k) {
        done(Status::InvalidArgument(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            "Specified value was " + *r.explicit_hash_key));
        return;
      }
      keys[i] = *k;
    } else {
      keys[i] = HashPartitionKey(r.partition_key);
    }
    total += r.data.size() + r.partition_key.size();
  }

  auto batch = std::make_shared<Batch>();
  batch->results.resize(records.size());
  batch->done = std::move(done);
  std::vector<Group> groups;
  const int64_t now = Now();
  {
    std::shared_lock lock(mu_);
    auto meta = closed_ ? Result<const StreamMeta*>(Status::FailedPrecondition("engine closed"))
                        : FindStreamLocked(stream);
    Status st = meta.ok() ? Status::Ok() : meta.status();
    if (st.ok() && StatusOf(**meta, now) == StreamStatus::kCreating) st = StreamNotFound(stream);
    if (st.ok()) {
      const size_t max_record = size_t{(*meta)->max_record_size_kib} * 1024;
      // 5 MiB per call, 10 MiB once the stream allows records over 1 MiB.
      const size_t max_total = (max_record > (1u << 20) ? 10u : 5u) << 20;
      for (const auto& r : records) {
        const size_t size = r.data.size() + r.partition_key.size();
        if (size > max_record) {
          st = Status::InvalidArgument("Record size (data + partition key) of " + std::to_string(size) +
                                       " bytes exceeds the maximum of " + std::to_string(max_record) +
                                       " bytes for stream " + std::string(stream) + ".");
          break;
        }
      }
      if (st.ok() && total > max_total) {
        st = Status::InvalidArgument("Records size of " + std::to_string(total) +
                                     " bytes exceeds the maximum of " + std::to_string(max_total) +
                                     " bytes per PutRecords request.");
      }
    }
    // Sealed under the shared lock, so that every record put after the
    // StartStreamEncryption commit (which takes mu_ exclusively) is
    // encrypted, and none after StopStreamEncryption is.
    if (st.ok() && (*meta)->kms_key_id) {
      for (auto& r : records) {
        st = keys_.Seal(*(*meta)->kms_key_id, &r);
        if (!st.ok()) break;
      }
    }
    if (!st.ok()) {
      lock.unlock();
      batch->done(std::move(st));
      return;
    }
    const std::vector<Route>& routes = runtime_.find(stream)->second.routes;
    std::map<uint32_t, size_t> group_of;  // shard index -> position in groups
    for (size_t i = 0; i < records.size(); ++i) {
      // The open shards partition the key space, so the last route starting
      // at or below the key owns it.
      auto it = std::upper_bound(routes.begin(), routes.end(), keys[i],
                                 [](HashKey k, const Route& r) { return k < r.range.start; });
      PutRecordResult& res = batch->results[i];
      res.encrypted = records[i].encrypted;
      if (it == routes.begin()) {  // cannot happen: the routes cover 0 .. 2^128-1
        res.status = Status::Internal("no open shard owns hash key " + FormatHashKey(keys[i]));
        continue;
      }
      const Route& route = *(it - 1);
      res.shard_id = ShardIdFor(route.shard->index);
      if (options_.enforce_throughput_limits &&
          !TakeWriteBudget(route.shard.get(), records[i].data.size() + records[i].partition_key.size(), now)) {
        res.status = Status::ResourceExhausted("Rate exceeded for shard " + res.shard_id + " in stream " +
                                               std::string(stream) + " under account " + Account() + ".");
        continue;
      }
      auto [g, fresh] = group_of.try_emplace(route.shard->index, groups.size());
      if (fresh) groups.push_back({route.shard, route.created_ms, {}});
      groups[g->second].entries.push_back(i);
    }
    // One count per group plus one for this thread, so that `done` cannot
    // run before every group is submitted.
    batch->remaining = groups.size() + 1;
    for (Group& g : groups) {
      std::vector<RecordInput> part;
      part.reserve(g.entries.size());
      for (size_t i : g.entries) part.push_back(std::move(records[i]));
      auto pending = g.shard->pending;
      pending->fetch_add(1);
      // The callback holds the counter and the batch, never the ShardRuntime:
      // dropping the last reference to a log on its own thread would join it.
      g.shard->log->AppendAsync(
          std::move(part), [batch, pending, entries = std::move(g.entries), index = g.shard->index,
                            created_s = g.created_ms / 1000](Result<AppendResult> r) {
            for (size_t k = 0; k < entries.size(); ++k) {
              PutRecordResult& res = batch->results[entries[k]];
              if (!r.ok()) {
                res.status = r.status();
                continue;
              }
              res.sequence_index = r->first_index + k;
              res.arrival_ms = r->arrival_ms;
              res.sequence_number =
                  EncodeSequenceNumber({created_s, res.sequence_index, r->arrival_ms / 1000, index});
            }
            pending->fetch_sub(1);
            batch->Finish();
          });
    }
  }
  batch->Finish();
}

}  // namespace osprey::streams::engine
