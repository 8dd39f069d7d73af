// ospreysink: a GStreamer sink element that records H.264 into Osprey (or a
// KVS-compatible server) the way osprey-agent does: keyframe-aligned
// fragments, a crash-safe on-disk spool, SigV4-signed PutMedia with resume.
// Properties, bus messages and the timestamp mapping: agent/README.md
// ("ospreysink") and the property blurbs (gst-inspect-1.0 ospreysink).
//
// Threading: GstBaseSink's. Caps, buffers and serialized events arrive on
// the streaming thread; start/stop on the state-change thread; unlock from
// whichever thread flushes. Connection messages are posted from the
// SinkSession's watch thread (gst_element_post_message is thread-safe). A
// synchronous bus handler therefore runs on that thread and must not take
// the element to READY or NULL itself (stop() joins that thread); handle the
// messages in an ordinary bus watch, as gst-launch-1.0 does.
#pragma once

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_OSPREY_SINK (gst_osprey_sink_get_type())
G_DECLARE_FINAL_TYPE(GstOspreySink, gst_osprey_sink, GST, OSPREY_SINK, GstBaseSink)

// Registers the element with `plugin` (rank NONE: it is never autoplugged).
gboolean gst_osprey_sink_register(GstPlugin* plugin);

G_END_DECLS
