// Error-output records (spec 5.4): one JSON line per record that could not
// be delivered or processed, shared by batch cutting (processing and
// partitioning failures) and delivery (destination retries exhausted).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "osprey/streams/record.h"

namespace osprey::firehose {

// {"attemptsMade","arrivalTimestamp","errorCode","errorMessage",
//  "attemptEndingTimestamp","rawData"(base64)[,"lambdaArn"]
//  [,"subsequenceNumber":0,"dataId"]} followed by a newline. Empty
// `lambda_arn` / `data_id` are left out.
std::string ErrorRecordJson(const streams::Record& r, int attempts, const std::string& code,
                            const std::string& message, int64_t now_ms,
                            const std::string& lambda_arn, const std::string& data_id = "");

}  // namespace osprey::firehose
