// The console's static files, compiled into the server (embed_assets.cmake
// writes console_assets.cc from server/src/console/web/ and hls.js's
// dist/hls.min.js at build time), so the console needs no CDN and no files
// at run time.
//
// Thread safety: immutable data.
#pragma once

#include <cstddef>
#include <string_view>

namespace osprey::server::console {

struct Asset {
  std::string_view name;  // file name, e.g. "console.css", "hls.min.js"
  std::string_view data;
};

// Every embedded file; index.html among them.
const Asset* Assets(size_t* count);

}  // namespace osprey::server::console
