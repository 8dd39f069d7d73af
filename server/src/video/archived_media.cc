// POST /listFragments and /getMediaForFragmentList (video-api.md 6.1, 6.2).
//
// ListFragments pages through FragmentLog::ListRange in index order (the
// spec allows any order): fragments whose start (server or producer time)
// lies in [StartTimestamp, EndTimestamp], both inclusive. MaxResults is
// 1-1000 and defaults to 100 (the value older AWS documentation gave; the
// current model states none). With a NextToken the FragmentSelector is
// ignored: the token carries the range. GetMediaForFragmentList has no
// connection limit of its own (KVS: 5); its responses are finite.
//
// GetMediaForFragmentList checks every number before answering: one that is
// not a retained fragment of this stream makes the whole request a 404
// ResourceNotFoundException, naming it, before any byte is streamed. A
// fragment that disappears after that check (retention, deletion) ends the
// stream with error chunk 4000 (FragmentReader, list mode).
#include "osprey/base/json_writer.h"
#include "osprey/fragments/fragment_number.h"
#include "osprey/fragments/mkv_writer.h"
#include "video/access_guard.h"
#include "video/archived_media.h"
#include "video/fragment_reader.h"
#include "video/get_clip.h"
#include "video/get_images.h"
#include "video/kvs_json.h"
#include "video/video_routes.h"

namespace osprey::server::video {

namespace {

constexpr int64_t kDefaultMaxResults = 100;
constexpr int64_t kMaxMaxResults = 1000;
constexpr size_t kMaxFragmentsPerList = 1000;

struct OpenedStream {
  fragments::VideoStream stream;
  std::shared_ptr<fragments::FragmentLog> log;
};

Result<OpenedStream> OpenStream(const JsonRequest& body, VideoContext* context) {
  if (!context->catalog || !context->store) {
    return Status::Internal("video engines are not configured");
  }
  OpenedStream o;
  OSPREY_ASSIGN_OR_RETURN(o.stream, ResolveStream(body, *context->catalog));
  if (o.stream.status == "DELETING") {
    return Status::NotFound("Stream " + o.stream.name + " is being deleted");
  }
  auto log = context->store->OpenStream(o.stream.store_id());
  if (!log.ok()) return Status::Internal("opening the fragment log: " + log.status().ToString());
  o.log = std::move(log).value();
  return o;
}

Result<ListCursor> SelectorCursor(const JsonRequest& body) {
  OSPREY_ASSIGN_OR_RETURN(auto selector, body.Object("FragmentSelector"));
  if (!selector) {
    return Status::InvalidArgument("FragmentSelector is required when NextToken is not given");
  }
  OSPREY_ASSIGN_OR_RETURN(auto type, selector->String("FragmentSelectorType"));
  if (!type) return MissingMember("fragmentSelector.fragmentSelectorType");
  ListCursor c;
  if (*type == "SERVER_TIMESTAMP") {
    c.kind = fragments::TimestampKind::kServer;
  } else if (*type == "PRODUCER_TIMESTAMP") {
    c.kind = fragments::TimestampKind::kProducer;
  } else {
    return ValidationError("fragmentSelector.fragmentSelectorType", *type,
                           "Member must satisfy enum value set: [PRODUCER_TIMESTAMP, "
                           "SERVER_TIMESTAMP]");
  }
  OSPREY_ASSIGN_OR_RETURN(auto range, selector->Object("TimestampRange"));
  if (!range) return MissingMember("fragmentSelector.timestampRange");
  OSPREY_ASSIGN_OR_RETURN(auto start, range->TimestampMs("StartTimestamp"));
  if (!start) return MissingMember("fragmentSelector.timestampRange.startTimestamp");
  OSPREY_ASSIGN_OR_RETURN(auto end, range->TimestampMs("EndTimestamp"));
  if (!end) return MissingMember("fragmentSelector.timestampRange.endTimestamp");
  if (*start > *end) {
    return Status::InvalidArgument("StartTimestamp must not be later than EndTimestamp");
  }
  c.start_ms = *start;
  c.end_ms = *end;
  return c;
}

Result<std::string> ListFragments(std::string_view body_text, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(JsonRequest body, JsonRequest::Parse(body_text));
  OSPREY_ASSIGN_OR_RETURN(auto max_results, body.Int("MaxResults"));
  if (max_results && *max_results < 1) {
    return ValidationError("MaxResults", std::to_string(*max_results),
                           "Member must have value greater than or equal to 1");
  }
  if (max_results && *max_results > kMaxMaxResults) {
    return ValidationError("MaxResults", std::to_string(*max_results),
                           "Member must have value less than or equal to 1000");
  }
  const size_t limit = static_cast<size_t>(max_results.value_or(kDefaultMaxResults));
  OSPREY_ASSIGN_OR_RETURN(auto token, body.String("NextToken"));
  if (token && (token->empty() || token->size() > 4096)) {
    return ValidationError("NextToken", *token,
                           token->empty() ? "Member must have length greater than or equal to 1"
                                          : "Member must have length less than or equal to 4096");
  }
  OSPREY_ASSIGN_OR_RETURN(OpenedStream o, OpenStream(body, context));
  ListCursor cursor;
  if (token) {
    OSPREY_ASSIGN_OR_RETURN(cursor, DecodeListToken(*token, o.stream.store_id()));
  } else {
    OSPREY_ASSIGN_OR_RETURN(cursor, SelectorCursor(body));
  }
  // One more than asked tells whether another page follows.
  std::vector<fragments::FragmentMeta> page =
      o.log->ListRange(cursor.kind, cursor.start_ms, cursor.end_ms, cursor.after_index, limit + 1);
  const bool more = page.size() > limit;
  if (more) page.resize(limit);

  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("Fragments").BeginArray();
  for (const fragments::FragmentMeta& m : page) {
    w.BeginObject();
    w.Key("FragmentNumber").String(fragments::FormatFragmentNumber(o.stream.creation_ms, m.index));
    w.Key("FragmentSizeInBytes").Uint64(m.size_bytes);
    w.Key("ProducerTimestamp").Raw(fragments::FormatEpochSeconds(m.producer_timestamp_ms));
    w.Key("ServerTimestamp").Raw(fragments::FormatEpochSeconds(m.server_timestamp_ms));
    w.Key("FragmentLengthInMilliseconds").Int64(m.duration_ms);
    w.EndObject();
  }
  w.EndArray();
  if (more) {
    cursor.after_index = page.back().index;
    w.Key("NextToken").String(EncodeListToken(cursor, o.stream.store_id()));
  }
  w.EndObject();
  return out;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

struct PreparedList {
  OpenedStream stream;
  std::vector<uint64_t> indices;
};

Result<PreparedList> PrepareFragmentList(std::string_view body_text, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(JsonRequest body, JsonRequest::Parse(body_text));
  OSPREY_ASSIGN_OR_RETURN(auto numbers, body.StringList("Fragments"));
  if (!numbers) return MissingMember("fragments");
  if (numbers->empty()) {
    return ValidationError("fragments", "[]", "Member must have length greater than or equal to 1");
  }
  if (numbers->size() > kMaxFragmentsPerList) {
    return ValidationError("fragments", "[...]",
                           "Member must have length less than or equal to 1000");
  }
  for (const std::string& n : *numbers) {
    if (n.empty() || n.size() > 128 || !AllDigits(n)) {
      return ValidationError("fragments", n,
                             "Member must satisfy constraint: [Member must have length less than "
                             "or equal to 128, Member must have length greater than or equal to "
                             "1, Member must satisfy regular expression pattern: ^[0-9]+$]");
    }
  }
  PreparedList p;
  OSPREY_ASSIGN_OR_RETURN(p.stream, OpenStream(body, context));
  for (const std::string& n : *numbers) {
    Result<fragments::ParsedFragmentNumber> parsed = fragments::ParseFragmentNumber(n);
    if (!parsed.ok() || parsed.value().stream_creation_ms != p.stream.stream.creation_ms ||
        !p.stream.log->Find(parsed.value().index)) {
      return Status::NotFound("Fragment " + n + " was not found in stream " +
                              p.stream.stream.name);
    }
    p.indices.push_back(parsed.value().index);
  }
  return p;
}

void HandleGetMediaForFragmentList(std::shared_ptr<Exchange> exchange, VideoContext* context) {
  Result<PreparedList> prepared = PrepareFragmentList(exchange->request().body, context);
  if (!prepared.ok()) return exchange->Respond(KvsFail(prepared.status()));
  FragmentReaderOptions options;
  options.follow = false;
  options.indices = std::move(prepared.value().indices);
  options.stream_creation_ms = prepared.value().stream.stream.creation_ms;
  FragmentReader::Create(std::move(exchange), prepared.value().stream.log, std::move(options))
      ->Start();
}

}  // namespace

void RegisterArchivedMediaRoutes(Router* router, VideoContext* context) {
  Route list;
  list.api = "listFragments";
  list.service = "kinesisvideo";
  list.buffered = [context](Request request, Responder respond) {
    Result<std::string> out = ListFragments(request.body, context);
    respond(out.ok() ? KvsOk(std::move(out).value()) : KvsFail(out.status()));
  };
  router->AddPath("POST", "/listFragments", Guarded(context, "ListFragments", std::move(list)));

  Route media;
  media.api = "getMediaForFragmentList";
  media.service = "kinesisvideo";
  media.body = Route::Body::kStreaming;
  media.streaming = [context](std::shared_ptr<Exchange> exchange) {
    HandleGetMediaForFragmentList(std::move(exchange), context);
  };
  router->AddPath("POST", "/getMediaForFragmentList",
                  Guarded(context, "GetMediaForFragmentList", std::move(media)));

  RegisterGetClipRoute(router, context);
  RegisterGetImagesRoute(router, context);
}

}  // namespace osprey::server::video
