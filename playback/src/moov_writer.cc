// ISO/IEC 14496-12 moov boxes; sample entries from ISO/IEC 14496-15 (AVC,
// HEVC), 14496-14 (esds) and "Encapsulation of Opus in ISO Base Media File
// Format" (Opus, dOps).
#include "moov_writer.h"

#include "osprey/playback/mp4_segments.h"

namespace osprey::playback {
namespace {

void WriteVisualSampleEntry(BoxWriter* w, const Track& t, std::string_view type,
                            std::string_view config_type) {
  const size_t entry = w->Begin(type);
  w->Zeros(6);
  w->U16(1);      // data_reference_index
  w->Zeros(16);   // pre_defined, reserved, pre_defined[3]
  w->U16(t.width);
  w->U16(t.height);
  w->U32(0x00480000);  // 72 dpi
  w->U32(0x00480000);
  w->U32(0);
  w->U16(1);      // frame_count
  w->Zeros(32);   // compressorname
  w->U16(0x0018);
  w->U16(0xFFFF);  // pre_defined = -1
  const size_t config = w->Begin(config_type);
  w->Bytes(t.codec_private);
  w->End(config);
  w->End(entry);
}

// An MPEG-4 descriptor header with the 4-byte length form (always valid).
void Descriptor(BoxWriter* w, uint8_t tag, size_t length) {
  w->U8(tag);
  w->U8(0x80 | ((length >> 21) & 0x7F));
  w->U8(0x80 | ((length >> 14) & 0x7F));
  w->U8(0x80 | ((length >> 7) & 0x7F));
  w->U8(length & 0x7F);
}

void WriteAudioSampleEntry(BoxWriter* w, const Track& t) {
  const size_t entry = w->Begin("mp4a");
  w->Zeros(6);
  w->U16(1);
  w->Zeros(8);
  w->U16(t.channels ? t.channels : 2);
  w->U16(16);  // samplesize
  w->Zeros(4);
  w->U32(t.sample_rate < 65536 ? t.sample_rate << 16 : 0);
  const size_t esds = w->BeginFull("esds", 0, 0);
  const size_t asc = t.codec_private.size();
  const size_t dsi_len = 5 + asc;           // DecoderSpecificInfo
  const size_t dcd_len = 13 + dsi_len;      // DecoderConfigDescriptor
  const size_t es_len = 3 + 5 + dcd_len + 5 + 1;
  Descriptor(w, 0x03, es_len);
  w->U16(uint32_t(t.number));  // ES_ID
  w->U8(0);                    // flags
  Descriptor(w, 0x04, dcd_len);
  w->U8(0x40);                 // objectTypeIndication: MPEG-4 audio
  w->U8(0x15);                 // streamType audio (5) << 2 | 1
  w->U24(0);                   // bufferSizeDB
  w->U32(0);                   // maxBitrate
  w->U32(0);                   // avgBitrate
  Descriptor(w, 0x05, asc);
  w->Bytes(t.codec_private);
  Descriptor(w, 0x06, 1);      // SLConfigDescriptor
  w->U8(0x02);
  w->End(esds);
  w->End(entry);
}

uint32_t Le16(std::string_view s, size_t at) {
  return uint32_t(uint8_t(s[at])) | (uint32_t(uint8_t(s[at + 1])) << 8);
}

// 'Opus' AudioSampleEntry with its dOps box, converted from the Matroska
// CodecPrivate (an OpusHead, RFC 7845 5.1: little-endian, version 1) to
// dOps (big-endian, version 0; the channel mapping table is the same).
Status WriteOpusSampleEntry(BoxWriter* w, const Track& t) {
  const std::string& head = t.codec_private;
  if (head.size() < 19 || head.compare(0, 8, "OpusHead") != 0) {
    return Status::InvalidArgument("Opus track " + std::to_string(t.number) +
                                   ": CodecPrivate is not an OpusHead");
  }
  const uint8_t channels = uint8_t(head[9]);
  const uint8_t family = uint8_t(head[18]);
  if (channels == 0 || (family != 0 && head.size() < 21u + channels)) {
    return Status::InvalidArgument("Opus track " + std::to_string(t.number) +
                                   ": OpusHead channel mapping truncated");
  }
  const size_t entry = w->Begin("Opus");
  w->Zeros(6);
  w->U16(1);  // data_reference_index
  w->Zeros(8);
  w->U16(channels);
  w->U16(16);  // samplesize
  w->Zeros(4);
  w->U32(48000u << 16);
  const size_t dops = w->Begin("dOps");
  w->U8(0);  // Version
  w->U8(channels);
  w->U16(Le16(head, 10));  // PreSkip
  w->U32(Le16(head, 12) | (Le16(head, 14) << 16));  // InputSampleRate
  w->U16(Le16(head, 16));  // OutputGain (signed, same bits)
  w->U8(family);
  if (family != 0) w->Bytes(std::string_view(head).substr(19, 2u + channels));
  w->End(dops);
  w->End(entry);
  return Status::Ok();
}

Status WriteSampleEntry(BoxWriter* w, const Track& t) {
  switch (t.codec) {
    case Codec::kH264:
      WriteVisualSampleEntry(w, t, "avc1", "avcC");
      return Status::Ok();
    case Codec::kH265:
      WriteVisualSampleEntry(w, t, "hvc1", "hvcC");
      return Status::Ok();
    case Codec::kAac:
      WriteAudioSampleEntry(w, t);
      return Status::Ok();
    case Codec::kOpus:
      return WriteOpusSampleEntry(w, t);
    case Codec::kUnsupported:
      break;
  }
  return Status::InvalidArgument("unsupported codec " + t.codec_id);
}

void WriteRunLengthStts(BoxWriter* w, const std::vector<uint32_t>& durations) {
  const size_t box = w->BeginFull("stts", 0, 0);
  const size_t count_at = w->size();
  w->U32(0);
  uint32_t entries = 0;
  for (size_t i = 0; i < durations.size();) {
    size_t j = i;
    while (j < durations.size() && durations[j] == durations[i]) ++j;
    w->U32(uint32_t(j - i));
    w->U32(durations[i]);
    ++entries;
    i = j;
  }
  w->PatchU32(count_at, entries);
  w->End(box);
}

void WriteTables(BoxWriter* w, const SampleTables* t) {
  if (t == nullptr) {
    for (const char* type : {"stts", "stsc", "stco"}) {
      const size_t b = w->BeginFull(type, 0, 0);
      w->U32(0);
      w->End(b);
    }
    const size_t stsz = w->BeginFull("stsz", 0, 0);
    w->U32(0);
    w->U32(0);
    w->End(stsz);
    return;
  }
  WriteRunLengthStts(w, t->durations);
  bool any_offset = false;
  for (int32_t c : t->composition_offsets) any_offset |= c != 0;
  if (any_offset) {
    const size_t ctts = w->BeginFull("ctts", 0, 0);
    w->U32(uint32_t(t->composition_offsets.size()));
    for (int32_t c : t->composition_offsets) {
      w->U32(1);
      w->U32(uint32_t(c));
    }
    w->End(ctts);
  }
  bool all_sync = true;
  for (bool s : t->sync) all_sync &= s;
  if (!all_sync) {
    const size_t stss = w->BeginFull("stss", 0, 0);
    const size_t count_at = w->size();
    w->U32(0);
    uint32_t n = 0;
    for (size_t i = 0; i < t->sync.size(); ++i) {
      if (t->sync[i]) {
        w->U32(uint32_t(i + 1));
        ++n;
      }
    }
    w->PatchU32(count_at, n);
    w->End(stss);
  }
  const size_t stsc = w->BeginFull("stsc", 0, 0);
  w->U32(uint32_t(t->chunk_samples.size()));
  for (size_t i = 0; i < t->chunk_samples.size(); ++i) {
    w->U32(uint32_t(i + 1));  // first_chunk
    w->U32(t->chunk_samples[i]);
    w->U32(1);                // sample_description_index
  }
  w->End(stsc);
  const size_t stsz = w->BeginFull("stsz", 0, 0);
  w->U32(0);
  w->U32(uint32_t(t->sizes.size()));
  for (uint32_t s : t->sizes) w->U32(s);
  w->End(stsz);
  const size_t co64 = w->BeginFull("co64", 0, 0);
  w->U32(uint32_t(t->chunk_offsets.size()));
  for (uint64_t o : t->chunk_offsets) w->U64(o);
  w->End(co64);
}

}  // namespace

void WriteFtyp(BoxWriter* w, bool fragmented) {
  const size_t box = w->Begin("ftyp");
  if (fragmented) {
    w->Bytes("iso6");
    w->U32(0);
    w->Bytes("iso6cmfcmp41");
  } else {
    w->Bytes("isom");
    w->U32(0x200);
    w->Bytes("isomiso2avc1mp41");
  }
  w->End(box);
}

void WriteMvhd(BoxWriter* w, uint64_t duration, uint32_t next_track_id) {
  const size_t box = w->BeginFull("mvhd", 1, 0);
  w->U64(0);  // creation_time
  w->U64(0);  // modification_time
  w->U32(kMovieTimescale);
  w->U64(duration);
  w->U32(0x00010000);  // rate 1.0
  w->U16(0x0100);      // volume 1.0
  w->Zeros(10);
  w->Matrix();
  w->Zeros(24);        // pre_defined
  w->U32(next_track_id);
  w->End(box);
}

Status WriteTrak(BoxWriter* w, const Track& t, const TrakTimes& times,
                 const SampleTables* tables) {
  const bool video = t.is_video();
  const size_t trak = w->Begin("trak");
  const size_t tkhd = w->BeginFull("tkhd", 1, 3);  // enabled, in movie
  w->U64(0);
  w->U64(0);
  w->U32(uint32_t(t.number));
  w->U32(0);
  w->U64(times.movie_duration);
  w->Zeros(8);
  w->U16(0);                      // layer
  w->U16(0);                      // alternate_group
  w->U16(video ? 0 : 0x0100);     // volume
  w->U16(0);
  w->Matrix();
  w->U32(video ? t.width << 16 : 0);
  w->U32(video ? t.height << 16 : 0);
  w->End(tkhd);
  if (times.empty_edit != 0 || times.media_time != 0) {
    const size_t edts = w->Begin("edts");
    const size_t elst = w->BeginFull("elst", 1, 0);
    w->U32(times.empty_edit != 0 ? 2 : 1);
    if (times.empty_edit != 0) {
      w->U64(times.empty_edit);
      w->U64(uint64_t(-1));  // media_time -1: empty
      w->U32(0x00010000);
    }
    w->U64(times.movie_duration - times.empty_edit);
    w->U64(uint64_t(times.media_time));
    w->U32(0x00010000);
    w->End(elst);
    w->End(edts);
  }
  const size_t mdia = w->Begin("mdia");
  const size_t mdhd = w->BeginFull("mdhd", 1, 0);
  w->U64(0);
  w->U64(0);
  w->U32(TimescaleOf(t));
  w->U64(times.media_duration);
  w->U16(0x55C4);  // language "und"
  w->U16(0);
  w->End(mdhd);
  const size_t hdlr = w->BeginFull("hdlr", 0, 0);
  w->U32(0);
  w->Bytes(video ? "vide" : "soun");
  w->Zeros(12);
  w->Bytes(video ? std::string_view("VideoHandler\0", 13) : std::string_view("SoundHandler\0", 13));
  w->End(hdlr);
  const size_t minf = w->Begin("minf");
  if (video) {
    const size_t vmhd = w->BeginFull("vmhd", 0, 1);
    w->Zeros(8);
    w->End(vmhd);
  } else {
    const size_t smhd = w->BeginFull("smhd", 0, 0);
    w->Zeros(4);
    w->End(smhd);
  }
  const size_t dinf = w->Begin("dinf");
  const size_t dref = w->BeginFull("dref", 0, 0);
  w->U32(1);
  const size_t url = w->BeginFull("url ", 0, 1);  // self-contained
  w->End(url);
  w->End(dref);
  w->End(dinf);
  const size_t stbl = w->Begin("stbl");
  const size_t stsd = w->BeginFull("stsd", 0, 0);
  w->U32(1);
  OSPREY_RETURN_IF_ERROR(WriteSampleEntry(w, t));
  w->End(stsd);
  WriteTables(w, tables);
  w->End(stbl);
  w->End(minf);
  w->End(mdia);
  w->End(trak);
  return Status::Ok();
}

}  // namespace osprey::playback
