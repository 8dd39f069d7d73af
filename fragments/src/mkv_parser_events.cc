// The event half of the parser: what each completed element means, which
// order rules apply (one EBML header per Segment, Tracks before Clusters,
// Timecode before blocks, non-decreasing Cluster timecodes), and closing
// Segments and Clusters.
#include <string>

#include "ebml.h"
#include "mkv_elements.h"
#include "mkv_parser_impl.h"

namespace osprey::fragments {
namespace {

using ebml::Bytes;
using ebml::Corrupt;
using ebml::kUnknownSize;

// Keeps cluster timecode + int16 offset inside int64.
constexpr uint64_t kMaxClusterTimecode = uint64_t{1} << 62;

}  // namespace

void MkvParser::Impl::Complete(Bytes body) {
  mode_ = Mode::kHeader;
  const internal::Located e{body, cur_offset_, cur_.header_length};
  // Buffered elements come with their header: the raw bytes for handlers.
  const Bytes raw(body.data() - raw_header_len_, body.size() + raw_header_len_);
  switch (cur_.id) {
    case id::kEbml: {
      if (ebml_pending_) {
        Fail(Corrupt(cur_.id, cur_offset_, "second EBML header before a Segment"));
        return;
      }
      if (segments_ > 0 && !options_.allow_multiple_segments) {
        Fail(Corrupt(cur_.id, cur_offset_, "only one EBML header and Segment per stream"));
        return;
      }
      auto hdr = internal::ParseEbmlHeader(e, options_);
      if (!Check(hdr.status())) return;
      ebml_pending_ = true;
      ebml_offset_ = cur_offset_;
      if (!Check(handler_->OnEbmlHeader(*hdr, cur_offset_))) return;
      break;
    }
    case id::kInfo: {
      if (have_info_) {
        Fail(Corrupt(cur_.id, cur_offset_, "second Info in Segment"));
        return;
      }
      auto info = internal::ParseInfo(e, options_);
      if (!Check(info.status())) return;
      have_info_ = true;
      timecode_scale_ = info->timecode_scale_ns;
      if (!Check(handler_->OnInfo(*info, raw))) return;
      break;
    }
    case id::kTracks: {
      if (have_tracks_) {
        Fail(Corrupt(cur_.id, cur_offset_, "second Tracks in Segment"));
        return;
      }
      auto tracks = internal::ParseTracks(e, options_);
      if (!Check(tracks.status())) return;
      if (tracks->empty()) {
        Fail(Corrupt(cur_.id, cur_offset_, "no TrackEntry"));
        return;
      }
      have_tracks_ = true;
      if (!Check(handler_->OnTracks(*tracks, raw))) return;
      break;
    }
    case id::kTags: {
      auto tags = internal::ParseTags(e, options_);
      if (!Check(tags.status())) return;
      if (!Check(handler_->OnTags(*tags, raw, cur_offset_))) return;
      break;
    }
    case id::kTimecode: {
      if (cluster_has_timecode_) {
        Fail(Corrupt(cur_.id, cur_offset_, "second Timecode in Cluster"));
        return;
      }
      const uint64_t tc = *ebml::ReadUint(body);  // size <= 8 checked at the header
      if (tc >= kMaxClusterTimecode) {
        Fail(Corrupt(cur_.id, cur_offset_, "Timecode " + std::to_string(tc) + " is too large"));
        return;
      }
      if (prev_cluster_timecode_ && tc < *prev_cluster_timecode_) {
        Fail(Corrupt(cur_.id, cur_offset_,
                     "Cluster Timecode " + std::to_string(tc) +
                         " is lower than the previous Cluster's " +
                         std::to_string(*prev_cluster_timecode_)));
        return;
      }
      cluster_has_timecode_ = true;
      cluster_timecode_ = tc;
      prev_cluster_timecode_ = tc;
      const Open& c = stack_.back();
      ClusterStart start{c.offset, c.data_offset, std::nullopt, tc};
      if (c.end != kUnknownSize) start.size = c.end - c.data_offset;
      if (!Check(handler_->OnClusterStart(start))) return;
      break;
    }
    case id::kSimpleBlock:
    case id::kBlockGroup:
      CompleteBlock(body);
      if (!error_.ok()) return;
      break;
    default:
      break;
  }
  CloseFinished();
}

void MkvParser::Impl::CompleteBlock(Bytes body) {
  if (!cluster_has_timecode_) {
    Fail(Corrupt(cur_.id, cur_offset_, "block before the Cluster's Timecode"));
    return;
  }
  Frame frame;
  const internal::Located e{body, cur_offset_, cur_.header_length};
  const Status s = cur_.id == id::kSimpleBlock ? internal::ParseBlock(e, true, &frame)
                                               : internal::ParseBlockGroup(e, &frame);
  if (!Check(s)) return;
  frame.timecode = static_cast<int64_t>(cluster_timecode_) + frame.relative_timecode;
  frame.offset = cur_offset_;
  ++cluster_frames_;
  Check(handler_->OnFrame(frame));
}

void MkvParser::Impl::OpenSegment(const ebml::ElementHeader& h, uint64_t offset, uint64_t end) {
  if (!ebml_pending_) {
    Fail(Corrupt(h.id, offset, "Segment without an EBML header before it"));
    return;
  }
  ebml_pending_ = false;
  ++segments_;
  have_info_ = false;
  have_tracks_ = false;
  timecode_scale_ = kDefaultTimecodeScaleNs;
  prev_cluster_timecode_.reset();
  stack_.push_back(Open{h.id, offset, pos_, end});
  mode_ = Mode::kHeader;
  SegmentStart start{offset, pos_, std::nullopt};
  if (end != kUnknownSize) start.size = h.size;
  if (!Check(handler_->OnSegmentStart(start))) return;
  CloseFinished();
}

void MkvParser::Impl::OpenCluster(const ebml::ElementHeader& h, uint64_t offset, uint64_t end) {
  if (!have_tracks_) {
    Fail(Corrupt(h.id, offset, "Cluster before Tracks"));
    return;
  }
  cluster_has_timecode_ = false;
  cluster_timecode_ = 0;
  cluster_frames_ = 0;
  stack_.push_back(Open{h.id, offset, pos_, end});
  mode_ = Mode::kHeader;
  CloseFinished();
}

bool MkvParser::Impl::Close(uint64_t end) {
  const Open o = stack_.back();
  stack_.pop_back();
  if (o.id == id::kCluster) {
    if (!cluster_has_timecode_) {
      Fail(Corrupt(o.id, o.offset, "ended without a Timecode"));
      return false;
    }
    cluster_has_timecode_ = false;
    return Check(handler_->OnClusterEnd(ClusterEnd{o.offset, end, cluster_frames_}));
  }
  return Check(handler_->OnSegmentEnd(end));
}

void MkvParser::Impl::CloseFinished() {
  // A known-size master ending here also ends any unknown-size one inside it.
  while (error_.ok() && !stack_.empty()) {
    bool any_ends_here = false;
    for (const Open& o : stack_) any_ends_here = any_ends_here || o.end == pos_;
    if (!any_ends_here || !Close(pos_)) return;
  }
}

}  // namespace osprey::fragments
