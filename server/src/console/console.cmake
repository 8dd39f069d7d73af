# The web console (server/src/console): C++ sources of osprey_server_app,
# plus the pages and hls.js embedded at build time (embed_assets.cmake).
# hls.js comes from the npm package deploy/install-deps.sh installs.
set(OSPREY_HLSJS "/opt/osprey/node/node_modules/hls.js/dist/hls.min.js" CACHE FILEPATH
    "hls.min.js embedded in the web console")
set(console_dir ${CMAKE_CURRENT_SOURCE_DIR}/src/console)
set(console_web
  ${console_dir}/web/index.html
  ${console_dir}/web/console.css
  ${console_dir}/web/icon.svg
  ${console_dir}/web/app.js
  ${console_dir}/web/grid.js
  ${console_dir}/web/timeline.js
  ${console_dir}/web/player.js)
if(EXISTS "${OSPREY_HLSJS}")
  list(APPEND console_web "${OSPREY_HLSJS}")
else()
  message(WARNING "hls.js not found at ${OSPREY_HLSJS} (run deploy/install-deps.sh): "
                  "the console's player will say so instead of playing")
  list(APPEND console_web ${console_dir}/web/missing/hls.min.js)
endif()
set(console_assets_cc ${CMAKE_CURRENT_BINARY_DIR}/console_assets.cc)
# "|" separates the files: a ";" list would be split into arguments.
string(REPLACE ";" "|" console_files "${console_web}")
add_custom_command(OUTPUT ${console_assets_cc}
  COMMAND ${CMAKE_COMMAND} "-DOUT=${console_assets_cc}" "-DFILES=${console_files}"
          -P ${console_dir}/embed_assets.cmake
  DEPENDS ${console_web} ${console_dir}/embed_assets.cmake
  COMMENT "Embedding the web console's files"
  VERBATIM)
target_sources(osprey_server_app PRIVATE
  ${console_dir}/console_auth.cc
  ${console_dir}/console_routes.cc
  ${console_dir}/console_streams.cc
  ${console_dir}/console_media.cc
  ${console_dir}/console_events.cc
  ${console_assets_cc})

osprey_test(NAME server_console_auth SOURCES ${console_dir}/tests/console_auth_test.cc
  DEPS osprey_server_app)
