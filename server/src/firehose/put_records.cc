// PutRecord and PutRecordBatch (spec 3): one durable append per request;
// the answer is sent from the engine's log thread once the records are
// fsynced (the handler itself never blocks).
#include <memory>

#include "firehose/control_plane.h"

namespace osprey::server::firehose {
namespace {

constexpr size_t kMaxRecordBytes = 1'024'000;
constexpr size_t kMaxBatchBytes = 4u << 20;

void PutRecord(FirehoseContext* ctx, const Input& in, Responder respond) {
  Codec codec = in.codec();
  auto fail = [&](const Status& st) { respond(Fail(codec, st)); };
  Validation v;
  auto name = in.String("DeliveryStreamName");
  if (!name.ok()) return fail(name.status());
  auto record = in.Object("Record");
  if (!record.ok()) return fail(record.status());
  std::optional<std::string> data;
  if (*record) {
    auto d = (*record)->Blob("Data");
    if (!d.ok()) return fail(d.status());
    data = std::move(*d);
  }
  ValidateStreamName(&v, *name);
  v.Required("Record", record->has_value());
  if (*record) {
    v.Required("Record.Data", data.has_value());
    v.BlobLength("Record.Data", data, 0, kMaxRecordBytes);
  }
  if (Status st = v.ToStatus(); !st.ok()) return fail(st);
  std::vector<std::string> records;
  records.push_back(std::move(*data));
  ctx->engine->PutRecordsAsync(**name, std::move(records),
                               [codec, respond](Result<std::vector<std::string>> ids) {
    if (!ids.ok()) {
      respond(Fail(codec, ids.status()));
      return;
    }
    std::string body;
    auto out = Output::For(codec, &body);
    out->BeginObject().Key("RecordId").String(ids->front()).Key("Encrypted").Bool(false).EndObject();
    respond(Ok(codec, std::move(body)));
  });
}

void PutRecordBatch(FirehoseContext* ctx, const Input& in, Responder respond) {
  Codec codec = in.codec();
  auto fail = [&](const Status& st) { respond(Fail(codec, st)); };
  Validation v;
  auto name = in.String("DeliveryStreamName");
  if (!name.ok()) return fail(name.status());
  auto list = in.ObjectList("Records");
  if (!list.ok()) return fail(list.status());
  ValidateStreamName(&v, *name);
  v.Required("Records", list->has_value());
  std::vector<std::string> records;
  size_t total = 0;
  if (*list) {
    if ((*list)->empty()) v.Add("Records", "[]", "Member must have length greater than or equal to 1");
    if ((*list)->size() > 500) {
      v.Add("Records", "[...]", "Member must have length less than or equal to 500");
    }
    for (size_t i = 0; i < (*list)->size(); ++i) {
      auto d = (**list)[i].Blob("Data");
      if (!d.ok()) return fail(d.status());
      std::string path = "Records." + std::to_string(i + 1) + ".Data";
      v.Required(path, d->has_value());
      v.BlobLength(path, *d, 0, kMaxRecordBytes);
      total += d->has_value() ? (*d)->size() : 0;
      records.push_back(d->value_or(""));
    }
  }
  if (Status st = v.ToStatus(); !st.ok()) return fail(st);
  if (total > kMaxBatchBytes) {
    return fail(Status::InvalidArgument("Records size exceeds 4 MB limit"));
  }
  size_t count = records.size();
  ctx->engine->PutRecordsAsync(**name, std::move(records),
                               [codec, respond, count](Result<std::vector<std::string>> ids) {
    if (!ids.ok() && (ids.status().code() == Status::Code::kNotFound ||
                      ids.status().code() == Status::Code::kInvalidArgument)) {
      respond(Fail(codec, ids.status()));
      return;
    }
    // The batch is one append: every record succeeded, or (storage
    // failure) every record gets InternalFailure.
    std::string body;
    auto out = Output::For(codec, &body);
    out->BeginObject().Key("FailedPutCount").Int64(ids.ok() ? 0 : static_cast<int64_t>(count));
    out->Key("Encrypted").Bool(false).Key("RequestResponses").BeginArray();
    for (size_t i = 0; i < count; ++i) {
      out->BeginObject();
      if (ids.ok()) {
        out->Key("RecordId").String((*ids)[i]);
      } else {
        out->Key("ErrorCode").String("InternalFailure").Key("ErrorMessage").String("Internal service failure.");
      }
      out->EndObject();
    }
    out->EndArray().EndObject();
    respond(Ok(codec, std::move(body)));
  });
}

}  // namespace

void RegisterPutRoutes(Router* router, FirehoseContext* ctx) {
  router->AddTarget("Firehose_20150804.PutRecord",
                    MakeRoute(ctx, "PutRecord", [ctx](const Input& in, Responder r) { PutRecord(ctx, in, std::move(r)); }));
  router->AddTarget("Firehose_20150804.PutRecordBatch",
                    MakeRoute(ctx, "PutRecordBatch", [ctx](const Input& in, Responder r) {
                      PutRecordBatch(ctx, in, std::move(r));
                    }));
}

}  // namespace osprey::server::firehose
