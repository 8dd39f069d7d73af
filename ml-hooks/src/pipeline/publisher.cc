#include "pipeline/publisher.h"

#include <algorithm>
#include <thread>

#include "osprey/base/base64.h"
#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"

namespace osprey::ml_hooks::pipeline {
namespace {

constexpr std::chrono::milliseconds kCallTimeout{10000};
// API limits (data-streams-api.md, firehose-api.md): 500 records per call;
// 5 MiB (PutRecords) and 4 MiB (PutRecordBatch) per call. Event records are
// ~1 KB, so the count limit is the one that binds.
constexpr size_t kMaxRecordsPerCall = 500;
constexpr size_t kMaxBytesPerCall = 3 * 1024 * 1024;

// Indices of the entries of a PutRecords / PutRecordBatch answer that carry
// an ErrorCode, in request order. Any malformed answer counts every entry as
// failed (retrying is safe: ids dedupe).
std::vector<size_t> FailedEntries(const std::string& body, std::string_view list_key,
                                  size_t sent) {
  std::vector<size_t> all(sent);
  for (size_t i = 0; i < sent; ++i) all[i] = i;
  Result<Value> doc = ParseJson(body);
  if (!doc.ok() || doc->type() != Value::Type::kMap) return all;
  const Value* list = doc->Find(list_key);
  if (list == nullptr || list->type() != Value::Type::kArray || list->as_array().size() != sent) {
    return all;
  }
  std::vector<size_t> failed;
  for (size_t i = 0; i < sent; ++i) {
    const Value& entry = list->as_array()[i];
    const Value* code = entry.type() == Value::Type::kMap ? entry.Find("ErrorCode") : nullptr;
    if (code != nullptr && !code->is_null()) failed.push_back(i);
  }
  return failed;
}

// Splits `records` into calls that respect the limits.
std::vector<std::vector<std::string>> Batches(const std::vector<std::string>& records) {
  std::vector<std::vector<std::string>> out;
  size_t bytes = 0;
  for (const std::string& r : records) {
    if (out.empty() || out.back().size() == kMaxRecordsPerCall ||
        bytes + r.size() > kMaxBytesPerCall) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(r);
    bytes += r.size();
  }
  return out;
}

}  // namespace

EventPublisher::EventPublisher(client::Url url, auth::Credentials credentials,
                               std::string region, OutputConfig outputs)
    : url_(std::move(url)),
      credentials_(std::move(credentials)),
      region_(std::move(region)),
      outputs_(std::move(outputs)) {}

Result<client::JsonResponse> EventPublisher::Call(const client::JsonCall& call,
                                                  const std::string& body) {
  return client::PostJson(url_, call, body, credentials_, region_, kCallTimeout);
}

bool EventPublisher::Backoff(int attempt) {
  const auto delay = std::chrono::milliseconds(std::min(5000, 100 << std::min(attempt, 6)));
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (stop_.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ++retries_;
  return !stop_.load();
}

Status EventPublisher::EnsureOutputs() {
  if (!outputs_.data_stream.empty()) {
    std::string body;
    JsonWriter(&body).BeginObject().Key("StreamName").String(outputs_.data_stream).EndObject();
    OSPREY_ASSIGN_OR_RETURN(auto d, Call(client::KinesisCall("DescribeStreamSummary"), body));
    if (d.status == 400 && d.error_type == "ResourceNotFoundException") {
      if (!outputs_.create_missing) {
        return Status::NotFound("data stream " + outputs_.data_stream + " does not exist");
      }
      std::string create;
      JsonWriter(&create).BeginObject().Key("StreamName").String(outputs_.data_stream)
          .Key("ShardCount").Int64(1).EndObject();
      OSPREY_ASSIGN_OR_RETURN(auto c, Call(client::KinesisCall("CreateStream"), create));
      if (c.status != 200 && c.error_type != "ResourceInUseException") {
        return Status::Unavailable("CreateStream " + outputs_.data_stream + ": " + c.error_type +
                                   " " + c.body);
      }
      log::Info("ml", "created data stream", {{"stream", outputs_.data_stream}});
    } else if (d.status != 200) {
      return Status::Unavailable("DescribeStreamSummary " + outputs_.data_stream + ": " +
                                 d.error_type + " " + d.body);
    }
    for (int i = 0; i < 100; ++i) {  // CREATING -> ACTIVE takes moments
      OSPREY_ASSIGN_OR_RETURN(auto s, Call(client::KinesisCall("DescribeStreamSummary"), body));
      if (s.status == 200 && s.body.find("\"ACTIVE\"") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (!outputs_.delivery_stream.empty()) {
    std::string body;
    JsonWriter(&body).BeginObject().Key("DeliveryStreamName").String(outputs_.delivery_stream)
        .EndObject();
    OSPREY_ASSIGN_OR_RETURN(auto d, Call(client::FirehoseCall("DescribeDeliveryStream"), body));
    if (d.status == 400 && d.error_type == "ResourceNotFoundException") {
      if (!outputs_.create_missing) {
        return Status::NotFound("delivery stream " + outputs_.delivery_stream +
                                " does not exist");
      }
      std::string create;
      JsonWriter w(&create);
      w.BeginObject().Key("DeliveryStreamName").String(outputs_.delivery_stream)
          .Key("DeliveryStreamType").String("DirectPut")
          .Key("ExtendedS3DestinationConfiguration").BeginObject()
          .Key("BucketARN").String("arn:aws:s3:::" + outputs_.bucket)
          .Key("RoleARN").String("arn:aws:iam::000000000000:role/osprey-ml")
          .Key("Prefix").String("events/")
          .Key("ErrorOutputPrefix").String("events-errors/")
          .Key("BufferingHints").BeginObject().Key("IntervalInSeconds").Int64(60)
          .Key("SizeInMBs").Int64(1).EndObject()
          .EndObject().EndObject();
      OSPREY_ASSIGN_OR_RETURN(auto c, Call(client::FirehoseCall("CreateDeliveryStream"), create));
      if (c.status != 200 && c.error_type != "ResourceInUseException") {
        return Status::Unavailable("CreateDeliveryStream " + outputs_.delivery_stream + ": " +
                                   c.error_type + " " + c.body);
      }
      log::Info("ml", "created delivery stream", {{"stream", outputs_.delivery_stream},
                                           {"bucket", outputs_.bucket}});
    } else if (d.status != 200) {
      return Status::Unavailable("DescribeDeliveryStream " + outputs_.delivery_stream + ": " +
                                 d.error_type + " " + d.body);
    }
  }
  return Status::Ok();
}

Status EventPublisher::PutRecords(const std::string& partition_key,
                                  const std::vector<std::string>& records) {
  std::vector<std::string> pending = records;
  for (int attempt = 0; !pending.empty(); ++attempt) {
    if (attempt > 0 && !Backoff(attempt)) return Status::Cancelled("publisher stopping");
    std::string body;
    JsonWriter w(&body);
    w.BeginObject().Key("StreamName").String(outputs_.data_stream).Key("Records").BeginArray();
    for (const std::string& r : pending) {
      w.BeginObject().Key("PartitionKey").String(partition_key).Key("Data")
          .String(base64::Encode(r)).EndObject();
    }
    w.EndArray().EndObject();
    Result<client::JsonResponse> reply = Call(client::KinesisCall("PutRecords"), body);
    if (!reply.ok() || reply->status != 200) {
      log::Warn("ml", "PutRecords failed; retrying",
               {{"stream", outputs_.data_stream},
                {"error", reply.ok() ? reply->error_type : reply.status().ToString()}});
      continue;
    }
    std::vector<size_t> failed = FailedEntries(reply->body, "Records", pending.size());
    published_ += pending.size() - failed.size();
    std::vector<std::string> again;
    for (size_t i : failed) again.push_back(std::move(pending[i]));
    pending = std::move(again);
  }
  return Status::Ok();
}

Status EventPublisher::PutRecordBatch(const std::vector<std::string>& records) {
  std::vector<std::string> pending = records;
  for (int attempt = 0; !pending.empty(); ++attempt) {
    if (attempt > 0 && !Backoff(attempt)) return Status::Cancelled("publisher stopping");
    std::string body;
    JsonWriter w(&body);
    w.BeginObject().Key("DeliveryStreamName").String(outputs_.delivery_stream)
        .Key("Records").BeginArray();
    for (const std::string& r : pending) {
      w.BeginObject().Key("Data").String(base64::Encode(r + "\n")).EndObject();
    }
    w.EndArray().EndObject();
    Result<client::JsonResponse> reply = Call(client::FirehoseCall("PutRecordBatch"), body);
    if (!reply.ok() || reply->status != 200) {
      log::Warn("ml", "PutRecordBatch failed; retrying",
               {{"stream", outputs_.delivery_stream},
                {"error", reply.ok() ? reply->error_type : reply.status().ToString()}});
      continue;
    }
    std::vector<size_t> failed = FailedEntries(reply->body, "RequestResponses", pending.size());
    std::vector<std::string> again;
    for (size_t i : failed) again.push_back(std::move(pending[i]));
    pending = std::move(again);
  }
  return Status::Ok();
}

Status EventPublisher::Publish(const std::string& partition_key,
                               const std::vector<std::string>& records) {
  for (const auto& batch : Batches(records)) {
    if (!outputs_.data_stream.empty()) OSPREY_RETURN_IF_ERROR(PutRecords(partition_key, batch));
    if (!outputs_.delivery_stream.empty()) OSPREY_RETURN_IF_ERROR(PutRecordBatch(batch));
  }
  return Status::Ok();
}

}  // namespace osprey::ml_hooks::pipeline
