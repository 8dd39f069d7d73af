// The S3-compatible ObjectStore (object_store.h): path-style PutObject and
// multipart upload, SigV4-signed with osprey::auth primitives.
//
// The canonical request is built here rather than with auth::SignRequest
// because S3 canonicalises the path differently from every other service:
// the URI-encoded key is used as is (encoded once), where SignRequest
// encodes the wire path a second time.
#include <chrono>
#include <cstdio>

#include "http_client.h"
#include "osprey/auth/sigv4.h"
#include "osprey/firehose/object_store.h"

namespace osprey::firehose {
namespace {

bool Unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  char buf[4];
  for (char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

// The text between <tag> and </tag>, or "".
std::string XmlValue(const std::string& xml, const std::string& tag) {
  size_t a = xml.find("<" + tag + ">");
  if (a == std::string::npos) return "";
  a += tag.size() + 2;
  size_t b = xml.find("</" + tag + ">", a);
  return b == std::string::npos ? "" : xml.substr(a, b - a);
}

class S3Store : public ObjectStore {
 public:
  explicit S3Store(S3StoreOptions o) : o_(std::move(o)) {
    // "https://host[:port]" or "http://host[:port]"; no scheme means http.
    host_ = o_.endpoint;
    if (host_.rfind("https://", 0) == 0) {
      scheme_ = "https://";
      host_ = host_.substr(8);
    } else if (host_.rfind("http://", 0) == 0) {
      host_ = host_.substr(7);
    }
    while (!host_.empty() && host_.back() == '/') host_.pop_back();
  }

  Status Put(const std::string& bucket, const std::string& key, std::string_view body) override {
    if (body.size() <= o_.multipart_threshold) {
      OSPREY_ASSIGN_OR_RETURN(HttpResult r, Call("PUT", bucket, key, "", std::string(body)));
      return Check(r, "PutObject");
    }
    return Multipart(bucket, key, body);
  }

 private:
  // `query` is canonical already (sorted, encoded).
  Result<HttpResult> Call(const std::string& method, const std::string& bucket,
                          const std::string& key, const std::string& query, const std::string& body) {
    std::string path = "/" + UriEncode(bucket, false) + "/" + UriEncode(key, true);
    std::string payload_hash = auth::Sha256Hex(body);
    std::string amz_date = auth::FormatAmzDate(std::chrono::system_clock::now());
    std::string date = amz_date.substr(0, 8);
    std::string canonical_headers = "host:" + host_ + "\n" + "x-amz-content-sha256:" + payload_hash +
                                    "\n" + "x-amz-date:" + amz_date + "\n";
    std::string signed_headers = "host;x-amz-content-sha256;x-amz-date";
    std::string canonical = method + "\n" + path + "\n" + query + "\n" + canonical_headers + "\n" +
                            signed_headers + "\n" + payload_hash;
    std::string scope = auth::CredentialScope(date, o_.region, "s3");
    std::string to_sign = auth::StringToSign(amz_date, scope, canonical);
    std::string signature =
        auth::SignatureHex(auth::SigningKey(o_.secret_access_key, date, o_.region, "s3"), to_sign);
    std::string authorization = std::string(auth::kAlgorithm) + " Credential=" + o_.access_key_id +
                                "/" + scope + ", SignedHeaders=" + signed_headers +
                                ", Signature=" + signature;
    std::string url = scheme_ + host_ + path + (query.empty() ? "" : "?" + query);
    return HttpCall(method, url,
                    {{"x-amz-content-sha256", payload_hash},
                     {"x-amz-date", amz_date},
                     {"Authorization", authorization}},
                    body, o_.timeout_ms);
  }

  static Status Check(const HttpResult& r, std::string_view action) {
    if (r.status >= 200 && r.status < 300) return Status::Ok();
    std::string code = XmlValue(r.body, "Code");
    std::string text = std::string(action) + ": HTTP " + std::to_string(r.status) + " " + code;
    if (code == "NoSuchBucket") return Status::NotFound(text);
    if (r.status == 403) return Status::PermissionDenied(text);
    return Status::Unavailable(text);
  }

  Status Multipart(const std::string& bucket, const std::string& key, std::string_view body) {
    OSPREY_ASSIGN_OR_RETURN(HttpResult init, Call("POST", bucket, key, "uploads=", ""));
    OSPREY_RETURN_IF_ERROR(Check(init, "CreateMultipartUpload"));
    std::string upload_id = XmlValue(init.body, "UploadId");
    if (upload_id.empty()) return Status::Unavailable("CreateMultipartUpload: no UploadId");
    std::string id_param = "uploadId=" + UriEncode(upload_id, false);
    std::string complete = "<CompleteMultipartUpload>";
    Status st;
    int part = 1;
    for (size_t at = 0; at < body.size() && st.ok(); at += o_.part_size, ++part) {
      std::string chunk(body.substr(at, o_.part_size));
      auto r = Call("PUT", bucket, key, "partNumber=" + std::to_string(part) + "&" + id_param, chunk);
      if (!r.ok()) {
        st = r.status();
        break;
      }
      st = Check(*r, "UploadPart");
      complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" +
                  r->Header("ETag") + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    if (st.ok()) {
      auto r = Call("POST", bucket, key, id_param, complete);
      st = r.ok() ? Check(*r, "CompleteMultipartUpload") : r.status();
      // S3 may answer 200 with an <Error> body.
      if (st.ok() && r->body.find("<Error>") != std::string::npos) {
        st = Status::Unavailable("CompleteMultipartUpload: " + XmlValue(r->body, "Code"));
      }
    }
    if (!st.ok()) (void)Call("DELETE", bucket, key, id_param, "");
    return st;
  }

  S3StoreOptions o_;
  std::string host_;
  std::string scheme_ = "http://";
};

}  // namespace

std::unique_ptr<ObjectStore> OpenS3Store(S3StoreOptions options) {
  return std::make_unique<S3Store>(std::move(options));
}

}  // namespace osprey::firehose
