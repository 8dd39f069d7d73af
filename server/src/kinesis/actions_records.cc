// Data-plane operations (spec section 6): PutRecord, PutRecords,
// GetShardIterator, GetRecords. Puts answer from the shard log's thread once
// the records are durable.
#include <memory>

#include "kinesis/kinesis_routes.h"
#include "kinesis/shard_output.h"

namespace osprey::server::kinesis {

namespace {

bool IsHashKey(std::string_view s) {
  if (s.empty() || s.size() > 39 || (s.size() > 1 && s[0] == '0')) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

bool IsSequenceNumber(std::string_view s) {
  if (s.empty() || s.size() > 129 || (s.size() > 1 && s[0] == '0')) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

// Reads one record's members (PutRecord body or a PutRecords entry) and
// validates them under `path` ("" or "Records.N.").
Result<streams::RecordInput> ReadRecord(const Input& in, const std::string& path, Validation* v) {
  OSPREY_ASSIGN_OR_RETURN(auto data, in.Blob("Data"));
  OSPREY_ASSIGN_OR_RETURN(auto key, in.String("PartitionKey"));
  OSPREY_ASSIGN_OR_RETURN(auto hash, in.String("ExplicitHashKey"));
  v->Required(path + "Data", data.has_value());
  v->BlobLength(path + "Data", data, 0, 10485760);
  v->Required(path + "PartitionKey", key.has_value());
  v->Length(path + "PartitionKey", key, 1, 256);
  v->Pattern(path + "ExplicitHashKey", hash, "0|([1-9]\\d{0,38})", IsHashKey);
  streams::RecordInput r;
  if (data) r.data = std::move(*data);
  if (key) r.partition_key = std::move(*key);
  r.explicit_hash_key = std::move(hash);
  return r;
}

void PutRecord(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  Validation v;
  auto record = ReadRecord(c.input, "", &v);
  if (!record.ok()) return c.Fail(record.status());
  auto ordering = c.input.String("SequenceNumberForOrdering");
  if (!ordering.ok()) return c.Fail(ordering.status());
  v.Pattern("SequenceNumberForOrdering", *ordering, "0|([1-9]\\d{0,128})", IsSequenceNumber);
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (!stream.ok()) return c.Fail(stream.status());
  std::vector<streams::RecordInput> records;
  records.push_back(std::move(*record));
  c.ctx->engine->PutRecordsAsync(
      *stream, std::move(records),
      [c = c.reply, notify = c.ctx->records_put](Result<std::vector<streams::PutRecordResult>> r) {
        if (notify) notify();
        if (!r.ok()) return c.Fail(r.status());
        const streams::PutRecordResult& one = r->front();
        if (!one.status.ok()) return c.Fail(one.status);
        std::string body;
        auto out = Output::For(c.codec, &body);
        out->BeginObject().Key("ShardId").String(one.shard_id);
        out->Key("SequenceNumber").String(one.sequence_number);
        out->Key("EncryptionType").String(one.encrypted ? "KMS" : "NONE").EndObject();
        c.Ok(std::move(body));
      });
}

void PutRecords(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  auto entries = c.input.ObjectList("Records");
  if (!entries.ok()) return c.Fail(entries.status());
  Validation v;
  v.Required("Records", entries->has_value());
  std::vector<streams::RecordInput> records;
  if (*entries) {
    size_t n = (*entries)->size();
    if (n < 1 || n > 500) {
      v.Add("Records", "[...]", n < 1 ? "Member must have length greater than or equal to 1"
                                      : "Member must have length less than or equal to 500");
    }
    records.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      auto r = ReadRecord((**entries)[i], "Records." + std::to_string(i + 1) + ".", &v);
      if (!r.ok()) return c.Fail(r.status());
      records.push_back(std::move(*r));
    }
  }
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (!stream.ok()) return c.Fail(stream.status());
  c.ctx->engine->PutRecordsAsync(
      *stream, std::move(records),
      [c = c.reply, notify = c.ctx->records_put](Result<std::vector<streams::PutRecordResult>> r) {
        if (notify) notify();
        if (!r.ok()) return c.Fail(r.status());
        int64_t failed = 0;
        for (const auto& one : *r) failed += one.status.ok() ? 0 : 1;
        std::string body;
        auto out = Output::For(c.codec, &body);
        out->BeginObject().Key("FailedRecordCount").Int64(failed).Key("Records").BeginArray();
        for (const auto& one : *r) {
          out->BeginObject();
          if (one.status.ok()) {
            out->Key("SequenceNumber").String(one.sequence_number).Key("ShardId").String(one.shard_id);
          } else {
            ApiError e = ToApiError(one.status);
            bool internal = e.status >= 500;
            out->Key("ErrorCode").String(internal ? "InternalFailure" : e.type);
            out->Key("ErrorMessage").String(internal ? "Internal Service Failure" : e.message);
          }
          out->EndObject();
        }
        // The batch is sealed or not as a whole (one registry state).
        const bool sealed = !r->empty() && r->front().encrypted;
        out->EndArray().Key("EncryptionType").String(sealed ? "KMS" : "NONE").EndObject();
        c.Ok(std::move(body));
      });
}

void GetShardIterator(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  auto shard = c.input.String("ShardId");
  auto type = c.input.String("ShardIteratorType");
  auto seq = c.input.String("StartingSequenceNumber");
  auto ts = c.input.TimestampMs("Timestamp");
  for (const Status* s : {&shard.status(), &type.status(), &seq.status(), &ts.status()}) {
    if (!s->ok()) return c.Fail(*s);
  }
  Validation v;
  v.Required("ShardId", shard->has_value());
  v.Length("ShardId", *shard, 1, 128);
  v.Required("ShardIteratorType", type->has_value());
  v.Enum("ShardIteratorType", *type,
         {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"});
  v.Pattern("StartingSequenceNumber", *seq, "0|([1-9]\\d{0,128})", IsSequenceNumber);
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (!stream.ok()) return c.Fail(stream.status());
  streams::IteratorRequest request;
  request.type = *streams::ParseIteratorType(**type);
  request.starting_sequence_number = *seq;
  request.timestamp_ms = *ts;
  auto it = c.ctx->engine->GetShardIterator(*stream, **shard, request);
  if (!it.ok()) return c.Fail(it.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("ShardIterator").String(*it).EndObject();
  c.Ok(std::move(body));
}

void GetRecords(const Call& c) {
  auto iterator = c.input.String("ShardIterator");
  auto limit = c.input.Int("Limit");
  auto arn = c.input.String("StreamARN");
  for (const Status* s : {&iterator.status(), &limit.status(), &arn.status()}) {
    if (!s->ok()) return c.Fail(*s);
  }
  Validation v;
  v.Required("ShardIterator", iterator->has_value());
  v.Length("ShardIterator", *iterator, 1, 512);
  v.Range("Limit", *limit, 1, 10000);
  if (!v.ok()) return c.Fail(v.ToStatus());
  auto r = c.ctx->engine->GetRecords(**iterator, static_cast<size_t>(limit->value_or(10000)));
  if (!r.ok()) return c.Fail(r.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("Records").BeginArray();
  for (const auto& record : r->read.records) WriteRecord(*out, record);
  out->EndArray();
  if (r->next_shard_iterator) out->Key("NextShardIterator").String(*r->next_shard_iterator);
  out->Key("MillisBehindLatest").Int64(r->read.millis_behind_latest);
  if (r->read.shard_end) WriteChildShards(*out, r->read.child_shards);
  out->EndObject();
  c.Ok(std::move(body));
}

}  // namespace

void AddRecordActions(ActionTable* t) {
  t->emplace_back("PutRecord", &PutRecord);
  t->emplace_back("PutRecords", &PutRecords);
  t->emplace_back("GetShardIterator", &GetShardIterator);
  t->emplace_back("GetRecords", &GetRecords);
}

}  // namespace osprey::server::kinesis
