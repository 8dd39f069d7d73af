#include "error_record.h"

#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"

namespace osprey::firehose {

std::string ErrorRecordJson(const streams::Record& r, int attempts, const std::string& code,
                            const std::string& message, int64_t now_ms,
                            const std::string& lambda_arn, const std::string& data_id) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("attemptsMade").Int64(attempts);
  w.Key("arrivalTimestamp").Int64(r.arrival_ms);
  w.Key("errorCode").String(code);
  w.Key("errorMessage").String(message);
  w.Key("attemptEndingTimestamp").Int64(now_ms);
  w.Key("rawData").String(base64::Encode(r.data));
  if (!lambda_arn.empty()) w.Key("lambdaArn").String(lambda_arn);
  if (!data_id.empty()) w.Key("subsequenceNumber").Int64(0).Key("dataId").String(data_id);
  w.EndObject();
  out += '\n';
  return out;
}

}  // namespace osprey::firehose
