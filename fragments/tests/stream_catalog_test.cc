#include "osprey/fragments/stream_catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace osprey::fragments {
namespace {

namespace fs = std::filesystem;

class StreamCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stream_catalog_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.path = dir_ + "/video/catalog.json";
    options_.region = "eu-west-1";
    options_.account = "123456789012";
    options_.clock = [this] { return now_ms_.load(); };
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<StreamCatalog> Open() {
    auto r = StreamCatalog::Open(options_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  static CreateStreamInput Input(std::string name) {
    CreateStreamInput in;
    in.name = std::move(name);
    return in;
  }

  std::string ReadFile() const {
    std::ifstream f(options_.path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  void WriteFile(const std::string& text) const {
    std::ofstream f(options_.path, std::ios::trunc);
    f << text;
  }

  std::string dir_;
  CatalogOptions options_;
  std::atomic<int64_t> now_ms_{1700000000123};
};

bool IsAlnum20(const std::string& v) {
  if (v.size() != 20) return false;
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

TEST_F(StreamCatalogTest, CreateFillsEveryField) {
  auto catalog = Open();
  CreateStreamInput in = Input("front-door");
  in.device_name = "cam-01";
  in.media_type = "video/h264";
  in.retention_hours = 24;
  in.tags = {{"site", "home"}};
  auto s = catalog->Create(in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "front-door");
  EXPECT_EQ(s->arn, "arn:aws:kinesisvideo:eu-west-1:123456789012:stream/front-door/1700000000123");
  EXPECT_EQ(s->kms_key_id, "arn:aws:kms:eu-west-1:123456789012:alias/aws/kinesisvideo");
  EXPECT_TRUE(IsAlnum20(s->version)) << s->version;
  EXPECT_EQ(s->status, "ACTIVE");
  EXPECT_EQ(s->creation_ms, 1700000000123);
  EXPECT_EQ(s->retention_hours, 24);
  EXPECT_EQ(s->storage_tier, "HOT");
  EXPECT_EQ(s->store_id(), "front-door-1700000000123");
  EXPECT_EQ(s->tags.at("site"), "home");

  auto by_name = catalog->GetByName("front-door");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(*by_name, *s);
  auto by_arn = catalog->GetByArn(s->arn);
  ASSERT_TRUE(by_arn.ok());
  EXPECT_EQ(*by_arn, *s);
}

TEST_F(StreamCatalogTest, GivenKmsKeyIsKept) {
  auto catalog = Open();
  CreateStreamInput in = Input("a");
  in.kms_key_id = "alias/mine";
  EXPECT_EQ(catalog->Create(in)->kms_key_id, "alias/mine");
}

TEST_F(StreamCatalogTest, TakenNameIsAlreadyExists) {
  auto catalog = Open();
  ASSERT_TRUE(catalog->Create(Input("a")).ok());
  EXPECT_EQ(catalog->Create(Input("a")).status().code(), Status::Code::kAlreadyExists);
}

TEST_F(StreamCatalogTest, UnknownStreamIsNotFound) {
  auto catalog = Open();
  EXPECT_EQ(catalog->GetByName("nope").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(catalog->GetByArn("arn:aws:kinesisvideo:eu-west-1:123456789012:stream/nope/1")
                .status()
                .code(),
            Status::Code::kNotFound);
  EXPECT_EQ(catalog->GetByArn("garbage").status().code(), Status::Code::kNotFound);
}

TEST_F(StreamCatalogTest, ArnOfAnEarlierIncarnationIsNotFound) {
  auto catalog = Open();
  auto first = catalog->Create(Input("cam"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(catalog->Delete(first->arn, std::nullopt).ok());
  // Same millisecond: the new stream still gets a later creation time.
  auto second = catalog->Create(Input("cam"));
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->creation_ms, first->creation_ms);
  EXPECT_NE(second->store_id(), first->store_id());
  EXPECT_EQ(catalog->GetByArn(first->arn).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(catalog->GetByArn(second->arn).ok());
}

TEST_F(StreamCatalogTest, ListFiltersByPrefixAndPages) {
  auto catalog = Open();
  for (const char* n : {"cam-b", "cam-a", "door", "cam-c", "ca", "cam-d"}) {
    ASSERT_TRUE(catalog->Create(Input(n)).ok());
  }
  auto names = [](const std::vector<VideoStream>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(s.name);
    return out;
  };
  EXPECT_EQ(names(catalog->List("", "", 100)),
            (std::vector<std::string>{"ca", "cam-a", "cam-b", "cam-c", "cam-d", "door"}));
  EXPECT_EQ(names(catalog->List("cam-", "", 100)),
            (std::vector<std::string>{"cam-a", "cam-b", "cam-c", "cam-d"}));
  EXPECT_EQ(names(catalog->List("cam-", "", 2)), (std::vector<std::string>{"cam-a", "cam-b"}));
  EXPECT_EQ(names(catalog->List("cam-", "cam-b", 2)),
            (std::vector<std::string>{"cam-c", "cam-d"}));
  EXPECT_TRUE(catalog->List("cam-", "cam-d", 2).empty());
  // A cursor before the prefix starts at the prefix.
  EXPECT_EQ(names(catalog->List("cam-", "a", 1)), (std::vector<std::string>{"cam-a"}));
  EXPECT_TRUE(catalog->List("zzz", "", 10).empty());
}

TEST_F(StreamCatalogTest, DeleteChecksVersionAndTellsListeners) {
  auto catalog = Open();
  auto s = catalog->Create(Input("cam"));
  ASSERT_TRUE(s.ok());
  std::vector<std::string> deleted;
  catalog->OnDelete([&](const VideoStream& v) { deleted.push_back(v.store_id()); });
  EXPECT_EQ(catalog->Delete(s->arn, std::string("wrongversion")).status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_TRUE(catalog->GetByName("cam").ok());
  EXPECT_TRUE(deleted.empty());
  auto removed = catalog->Delete(s->arn, s->version);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, *s);
  EXPECT_EQ(deleted, std::vector<std::string>{s->store_id()});
  EXPECT_EQ(catalog->GetByName("cam").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(catalog->Delete(s->arn, std::nullopt).status().code(), Status::Code::kNotFound);
}

TEST_F(StreamCatalogTest, UpdateSetsGivenFieldsAndRenewsVersion) {
  auto catalog = Open();
  CreateStreamInput in = Input("cam");
  in.device_name = "dev";
  in.media_type = "video/h264";
  auto s = catalog->Create(in);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(catalog->Update("cam", "bad", std::nullopt, std::nullopt).status().code(),
            Status::Code::kFailedPrecondition);
  auto u = catalog->Update("cam", s->version, std::nullopt, std::string("video/h265"));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->device_name, "dev");
  EXPECT_EQ(u->media_type, "video/h265");
  EXPECT_NE(u->version, s->version);
  EXPECT_TRUE(IsAlnum20(u->version));
  EXPECT_EQ(*catalog->GetByName("cam"), *u);
  // The old version no longer works.
  EXPECT_EQ(catalog->Update("cam", s->version, std::string("x"), std::nullopt).status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(catalog->Update("nope", s->version, std::nullopt, std::nullopt).status().code(),
            Status::Code::kNotFound);
}

TEST_F(StreamCatalogTest, RetentionStaysWithinBounds) {
  auto catalog = Open();
  CreateStreamInput in = Input("cam");
  in.retention_hours = 87601;
  EXPECT_EQ(catalog->Create(in).status().code(), Status::Code::kInvalidArgument);
  in.retention_hours = -1;
  EXPECT_EQ(catalog->Create(in).status().code(), Status::Code::kInvalidArgument);
  in.retention_hours = 10;
  auto s = catalog->Create(in);
  ASSERT_TRUE(s.ok());

  auto up = catalog->UpdateRetention("cam", s->version, 87590);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->retention_hours, 87600);
  EXPECT_NE(up->version, s->version);
  EXPECT_EQ(catalog->UpdateRetention("cam", up->version, 1).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(catalog->UpdateRetention("cam", up->version, INT64_MAX).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(catalog->UpdateRetention("cam", s->version, -1).status().code(),
            Status::Code::kFailedPrecondition);
  auto down = catalog->UpdateRetention("cam", up->version, -87600);
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->retention_hours, 0);
  EXPECT_EQ(catalog->UpdateRetention("cam", down->version, -1).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(catalog->UpdateRetention("cam", down->version, INT64_MIN).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(catalog->GetByName("cam")->retention_hours, 0);
}

TEST_F(StreamCatalogTest, TagsOverwriteLimitAndKeepVersion) {
  auto catalog = Open();
  CreateStreamInput in = Input("cam");
  in.tags = {{"a", "1"}};
  auto s = catalog->Create(in);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(catalog->Tag("cam", {{"a", "2"}, {"b", ""}}).ok());
  auto t = catalog->GetByName("cam");
  EXPECT_EQ(t->tags, (std::map<std::string, std::string>{{"a", "2"}, {"b", ""}}));
  EXPECT_EQ(t->version, s->version);

  std::map<std::string, std::string> many;
  for (int i = 0; i < 48; ++i) many["k" + std::to_string(i)] = "v";
  ASSERT_TRUE(catalog->Tag("cam", many).ok());  // 50 in total
  EXPECT_EQ(catalog->Tag("cam", {{"one-more", "x"}}).code(), Status::Code::kResourceExhausted);
  EXPECT_TRUE(catalog->Tag("cam", {{"a", "overwrite is fine"}}).ok());
  EXPECT_EQ(catalog->GetByName("cam")->tags.size(), 50u);

  ASSERT_TRUE(catalog->Untag("cam", {"a", "not-there", "k0"}).ok());
  auto u = catalog->GetByName("cam");
  EXPECT_EQ(u->tags.size(), 48u);
  EXPECT_FALSE(u->tags.contains("a"));
  EXPECT_EQ(u->version, s->version);
  EXPECT_EQ(catalog->Tag("nope", {{"a", "1"}}).code(), Status::Code::kNotFound);
  EXPECT_EQ(catalog->Untag("nope", {"a"}).code(), Status::Code::kNotFound);

  CreateStreamInput too_many = Input("other");
  for (int i = 0; i < 51; ++i) too_many.tags["k" + std::to_string(i)] = "v";
  EXPECT_EQ(catalog->Create(too_many).status().code(), Status::Code::kResourceExhausted);
}

TEST_F(StreamCatalogTest, EverythingSurvivesReopen) {
  std::vector<VideoStream> before;
  {
    auto catalog = Open();
    CreateStreamInput in = Input("cam");
    in.device_name = "d";
    in.media_type = "video/h264,audio/aac";
    in.kms_key_id = "key\"with/odd\\chars";
    in.retention_hours = 5;
    in.storage_tier = "WARM";
    in.tags = {{"k\xc3\xa9", "v\n"}, {"empty", ""}};
    ASSERT_TRUE(catalog->Create(in).ok());
    ASSERT_TRUE(catalog->Create(Input("other")).ok());
    auto v = catalog->GetByName("cam")->version;
    ASSERT_TRUE(catalog->UpdateRetention("cam", v, 3).ok());
    before = catalog->List("", "", 10);
  }
  EXPECT_FALSE(fs::exists(options_.path + ".tmp"));
  auto catalog = Open();
  EXPECT_EQ(catalog->List("", "", 10), before);
  EXPECT_EQ(catalog->GetByName("cam")->retention_hours, 8);
  // Creation times keep increasing across a reopen, even within one ms.
  auto again = catalog->Create(Input("third"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->creation_ms, now_ms_.load() + 2);
}

TEST_F(StreamCatalogTest, DeletedStreamStaysDeletedAfterReopen) {
  {
    auto catalog = Open();
    auto s = catalog->Create(Input("gone"));
    ASSERT_TRUE(catalog->Delete(s->arn, std::nullopt).ok());
  }
  auto catalog = Open();
  EXPECT_EQ(catalog->GetByName("gone").status().code(), Status::Code::kNotFound);
}

TEST_F(StreamCatalogTest, AbsentFileIsEmptyCatalog) {
  auto catalog = Open();
  EXPECT_TRUE(catalog->List("", "", 10).empty());
  EXPECT_FALSE(fs::exists(options_.path));  // nothing written until a change
}

TEST_F(StreamCatalogTest, CorruptFileIsCorruption) {
  {
    auto catalog = Open();
    ASSERT_TRUE(catalog->Create(Input("cam")).ok());
  }
  const std::string good = ReadFile();
  const std::vector<std::string> bad = {
      "garbage",
      good.substr(0, good.size() / 2),                       // torn
      "[]",                                                  // not an object
      "{\"format\":\"something-else\",\"format_version\":1}",  // wrong magic
  };
  for (const auto& text : bad) {
    WriteFile(text);
    auto r = StreamCatalog::Open(options_);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << text;
    EXPECT_NE(r.status().message().find(options_.path), std::string::npos);
  }
  // A field of the wrong type.
  std::string wrong = good;
  size_t at = wrong.find("\"retention_hours\":0");
  ASSERT_NE(at, std::string::npos);
  wrong.replace(at, 19, "\"retention_hours\":\"0\"");
  WriteFile(wrong);
  EXPECT_EQ(StreamCatalog::Open(options_).status().code(), Status::Code::kCorruption);
  WriteFile(good);
  EXPECT_TRUE(StreamCatalog::Open(options_).ok());
}

TEST_F(StreamCatalogTest, FailedWriteChangesNothing) {
  auto catalog = Open();
  ASSERT_TRUE(catalog->Create(Input("cam")).ok());
  fs::remove_all(dir_ + "/video");
  auto r = catalog->Create(Input("other"));
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
  EXPECT_EQ(catalog->GetByName("other").status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(catalog->GetByName("cam").ok());
}

TEST_F(StreamCatalogTest, RacingCreatesOfOneNameHaveOneWinner) {
  auto catalog = Open();
  constexpr int kThreads = 8;
  for (int round = 0; round < 5; ++round) {
    std::string name = "race-" + std::to_string(round);
    std::atomic<int> winners{0}, taken{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        auto r = catalog->Create(Input(name));
        if (r.ok()) {
          ++winners;
        } else if (r.status().code() == Status::Code::kAlreadyExists) {
          ++taken;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(taken.load(), kThreads - 1);
  }
  // Different names from many threads all succeed and all persist.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { EXPECT_TRUE(catalog->Create(Input("t" + std::to_string(t))).ok()); });
  }
  for (auto& t : threads) t.join();
  catalog.reset();
  EXPECT_EQ(Open()->List("", "", 100).size(), 5u + kThreads);
}

}  // namespace
}  // namespace osprey::fragments
