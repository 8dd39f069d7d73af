// The streaming half of the parser: element headers, the Segment/Cluster
// stack, and deciding per element whether to stream it (Segment, Cluster),
// skip it, or read it whole and hand it to mkv_elements.cc.
#include "osprey/fragments/mkv_parser.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ebml.h"
#include "mkv_elements.h"
#include "mkv_parser_impl.h"

namespace osprey::fragments {
namespace {

using ebml::Bytes;
using ebml::Corrupt;
using ebml::kUnknownSize;

}  // namespace

int ElementLevel(uint32_t e) {
  switch (e) {
    case id::kEbml: case id::kSegment: return 0;
    case id::kSeekHead: case id::kInfo: case id::kTracks: case id::kCluster: case id::kCues:
    case id::kAttachments: case id::kChapters: case id::kTags: return 1;
    case id::kTimecode: case id::kPosition: case id::kPrevSize: case id::kSimpleBlock:
    case id::kBlockGroup: case id::kEncryptedBlock: case 0x5854 /* SilentTracks */: return 2;
    case id::kVoid: case id::kCrc32: return kLevelGlobal;
    case id::kEbmlVersion: case id::kEbmlReadVersion: case id::kEbmlMaxIdLength:
    case id::kEbmlMaxSizeLength: case id::kDocType: case id::kDocTypeVersion:
    case id::kDocTypeReadVersion: case id::kTimecodeScale: case id::kSegmentUid:
    case id::kTrackEntry: case id::kTrackNumber: case id::kCodecId: case id::kCodecPrivate:
    case id::kVideo: case id::kAudio: case id::kBlock: case id::kBlockDuration:
    case id::kReferenceBlock: case id::kTag: case id::kSimpleTag: case id::kTagName:
    case id::kTagString: case id::kTargets: return kLevelDeeper;
    default: return kLevelUnknown;
  }
}

Status MkvParser::Impl::Feed(Bytes data) {
  if (!error_.ok()) return error_;
  if (finished_) return error_ = Status::FailedPrecondition("MkvParser: Feed after Finish");
  while (!data.empty() && error_.ok()) {
    size_t used = 0;
    switch (mode_) {
      case Mode::kHeader: used = StepHeader(data); break;
      case Mode::kCollect: used = StepCollect(data); break;
      case Mode::kSkip: used = StepSkip(data); break;
    }
    data = data.subspan(used);
  }
  return error_;
}

Status MkvParser::Impl::Finish() {
  if (!error_.ok()) return error_;
  if (finished_) return error_ = Status::FailedPrecondition("MkvParser: Finish called twice");
  finished_ = true;
  if (mode_ != Mode::kHeader) {
    return Stop(Corrupt(cur_.id, cur_offset_,
                        "stream ended " + std::to_string(remaining_) + " bytes short"));
  }
  if (hdr_len_ > 0) {
    return Stop(Status::Corruption("element at offset " + std::to_string(pos_ - hdr_len_) +
                                   ": stream ended inside its header"));
  }
  while (!stack_.empty()) {
    if (stack_.back().end != kUnknownSize) {
      return Stop(Corrupt(stack_.back().id, stack_.back().offset,
                          "stream ended " + std::to_string(stack_.back().end - pos_) +
                              " bytes short"));
    }
    if (!Close(pos_)) return error_;
  }
  if (ebml_pending_) {
    return Stop(Corrupt(id::kEbml, ebml_offset_, "stream ended without a Segment"));
  }
  return error_;
}

void MkvParser::Impl::Fail(Status s) {
  if (error_.ok()) error_ = std::move(s);
}

Status MkvParser::Impl::Stop(Status s) {
  Fail(std::move(s));
  return error_;
}

bool MkvParser::Impl::Check(Status s) {
  if (s.ok()) return true;
  Fail(std::move(s));
  return false;
}

size_t MkvParser::Impl::StepHeader(Bytes data) {
  const size_t take = std::min(sizeof hdr_ - hdr_len_, data.size());
  std::memcpy(hdr_ + hdr_len_, data.data(), take);
  ebml::ElementHeader h;
  std::string why;
  switch (ebml::DecodeHeader(Bytes(hdr_, hdr_len_ + take), &h, &why)) {
    case ebml::Decode::kNeedMore:
      hdr_len_ += take;
      pos_ += take;
      return take;
    case ebml::Decode::kInvalid:
      Fail(Status::Corruption("element at offset " + std::to_string(pos_ - hdr_len_) + ": " +
                              why));
      return data.size();
    case ebml::Decode::kOk:
      break;
  }
  const size_t used = h.header_length - hdr_len_;
  pos_ += used;
  hdr_len_ = 0;
  OnHeader(h, pos_ - h.header_length);
  return used;
}

size_t MkvParser::Impl::StepCollect(Bytes data) {
  if (!buffer_all_ && buf_.empty() && data.size() >= remaining_) {
    // Whole body inside this chunk: hand out a view, no copy.
    const size_t n = remaining_;
    pos_ += n;
    remaining_ = 0;
    Complete(data.first(n));
    return n;
  }
  const size_t n = std::min<uint64_t>(remaining_, data.size());
  buf_.insert(buf_.end(), data.begin(), data.begin() + n);
  pos_ += n;
  remaining_ -= n;
  if (remaining_ == 0) {
    std::vector<uint8_t> body;
    body.swap(buf_);  // buf_ must be empty again before the next element
    Complete(Bytes(body).subspan(raw_header_len_));
  }
  return n;
}

size_t MkvParser::Impl::StepSkip(Bytes data) {
  const size_t n = std::min<uint64_t>(remaining_, data.size());
  pos_ += n;
  remaining_ -= n;
  if (remaining_ == 0) {
    mode_ = Mode::kHeader;
    CloseFinished();
  }
  return n;
}

int MkvParser::Impl::ContextLevel() const {
  if (stack_.empty()) return 0;
  return stack_.back().id == id::kSegment ? 1 : 2;
}

void MkvParser::Impl::OnHeader(const ebml::ElementHeader& h, uint64_t offset) {
  const int level = ElementLevel(h.id);
  // An unknown-size Cluster or Segment ends at the first element that
  // belongs to an outer level.
  while (!stack_.empty() && stack_.back().end == kUnknownSize && level >= 0 &&
         level < ContextLevel()) {
    if (!Close(offset)) return;
  }
  const int context = ContextLevel();
  const std::string where = context == 0 ? "at the top level"
                            : context == 1 ? "in Segment" : "in Cluster";
  if (level >= 0 && level != context) {
    Fail(Corrupt(h.id, offset, "not allowed " + where));
    return;
  }
  if (level == kLevelUnknown && context == 0) {
    Fail(Corrupt(h.id, offset, "unknown element at the top level"));
    return;
  }
  const bool unknown_size = h.size == kUnknownSize;
  if (unknown_size && h.id != id::kSegment && h.id != id::kCluster) {
    Fail(Corrupt(h.id, offset, "unknown size is only allowed for Segment and Cluster"));
    return;
  }
  const uint64_t end = unknown_size ? kUnknownSize : pos_ + h.size;
  for (const Open& o : stack_) {
    if (o.end != kUnknownSize && !unknown_size && end > o.end) {
      Fail(Corrupt(h.id, offset, "size overruns its " + ebml::ElementName(o.id) + " (ends at " +
                                     std::to_string(o.end) + ")"));
      return;
    }
  }
  if (h.id != id::kSegment && !unknown_size && h.size > options_.max_element_size) {
    Fail(Status::ResourceExhausted(ebml::ElementName(h.id) + " at offset " +
                                   std::to_string(offset) + ": size " + std::to_string(h.size) +
                                   " exceeds the limit of " +
                                   std::to_string(options_.max_element_size)));
    return;
  }
  if (context == 2) {
    const Open& c = stack_.back();
    const uint64_t child_end = unknown_size ? pos_ : end;
    if (child_end - c.offset > options_.max_element_size) {
      Fail(Status::ResourceExhausted(
          "Cluster at offset " + std::to_string(c.offset) + ": grows past the limit of " +
          std::to_string(options_.max_element_size) + " bytes"));
      return;
    }
  }
  cur_ = h;
  cur_offset_ = offset;
  remaining_ = unknown_size ? 0 : h.size;
  switch (h.id) {
    case id::kEbml: case id::kInfo: case id::kTracks: case id::kTags:
      return StartCollect(h, true);
    case id::kTimecode: case id::kSimpleBlock: case id::kBlockGroup:
      return StartCollect(h, false);
    case id::kSegment: return OpenSegment(h, offset, end);
    case id::kCluster: return OpenCluster(h, offset, end);
    default:
      mode_ = Mode::kSkip;
      if (remaining_ == 0) {
        mode_ = Mode::kHeader;
        CloseFinished();
      }
      return;
  }
}

void MkvParser::Impl::StartCollect(const ebml::ElementHeader& h, bool buffer_all) {
  if (buffer_all && h.size > options_.max_header_element_size) {
    Fail(Status::ResourceExhausted(ebml::ElementName(h.id) + " at offset " +
                                   std::to_string(cur_offset_) + ": size " +
                                   std::to_string(h.size) + " exceeds the limit of " +
                                   std::to_string(options_.max_header_element_size)));
    return;
  }
  if (h.id == id::kTimecode && h.size > 8) {
    Fail(Corrupt(h.id, cur_offset_, "longer than 8 bytes"));
    return;
  }
  buffer_all_ = buffer_all;
  buf_.clear();
  raw_header_len_ = 0;
  if (buffer_all) {
    buf_.assign(hdr_, hdr_ + h.header_length);
    raw_header_len_ = h.header_length;
  }
  mode_ = Mode::kCollect;
  if (remaining_ == 0) {
    std::vector<uint8_t> body;
    body.swap(buf_);
    Complete(Bytes(body).subspan(raw_header_len_));
  }
}

MkvParser::MkvParser(MkvHandler* handler, ParserOptions options)
    : impl_(std::make_unique<Impl>(handler, options)) {}
MkvParser::~MkvParser() = default;
Status MkvParser::Feed(std::span<const uint8_t> data) { return impl_->Feed(data); }
Status MkvParser::Finish() { return impl_->Finish(); }
uint64_t MkvParser::offset() const { return impl_->offset(); }
uint64_t MkvParser::timecode_scale_ns() const { return impl_->timecode_scale_ns(); }

}  // namespace osprey::fragments
