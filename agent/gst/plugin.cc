// GStreamer plugin entry point of libgstospreysink.so (element ospreysink).
// The file name decides the plugin name GStreamer looks up: "ospreysink".
#include <gst/gst.h>

#include <cstdlib>

#include "osprey/base/logging.h"
#include "ospreysink.h"

namespace {

gboolean PluginInit(GstPlugin* plugin) {
  // The agent library logs in logfmt to stderr, like osprey-agent. The
  // plugin has its own (hidden) copy of the logger, so its level is set from
  // the environment rather than by the host application's Osprey code.
  if (const char* level = std::getenv("OSPREY_LOG_LEVEL")) {
    osprey::log::Level parsed;
    if (osprey::log::ParseLevel(level, &parsed)) osprey::log::SetLevel(parsed);
  }
  return gst_osprey_sink_register(plugin);
}

}  // namespace

// GST_PLUGIN_DEFINE refers to PACKAGE itself (the static-registration
// helper), as autotools-era plugins had it from config.h.
#define PACKAGE "osprey"
// The repository declares no licence yet; GStreamer only accepts names from
// its own list ("Apache 2.0", "Proprietary", "unknown", ...), so this must
// change together with the project's licence.
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, ospreysink,
                  "Osprey edge recording sink (Kinesis Video Streams compatible)", PluginInit,
                  OSPREY_VERSION, "unknown", PACKAGE, "Osprey project")
