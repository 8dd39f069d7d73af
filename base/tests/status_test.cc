#include "osprey/base/result.h"
#include "osprey/base/status.h"

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

namespace osprey {
namespace {

TEST(StatusTest, DefaultIsOkAndHasEmptyMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::NotFound("stream cam-1");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: stream cam-1");
}

TEST(StatusTest, CopiesAreIndependent) {
  Status a = Status::IOError("disk");
  Status b = a;
  a = Status::Ok();
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(b.message(), "disk");
}

TEST(StatusTest, WithContextPrependsAndKeepsOk) {
  EXPECT_EQ(Status::Corruption("bad crc").WithContext("segment 7").message(), "segment 7: bad crc");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(StatusTest, FromErrnoNamesTheError) {
  Status s = Status::FromErrno("open /x", ENOENT);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("No such file"), std::string::npos);
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Status Quarter(int v, int* out) {
  OSPREY_ASSIGN_OR_RETURN(int h, Half(v));
  OSPREY_ASSIGN_OR_RETURN(int q, Half(h));
  *out = q;
  return Status::Ok();
}

TEST(ResultTest, ValueAndErrorPaths) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = Status::NotFound("nope");
  EXPECT_DEATH((void)r.value(), "NotFound: nope");
}

}  // namespace
}  // namespace osprey
