# The osprey-ml process: configuration, GetMedia consumption with
# checkpoints, the per-stream worker, publishers, snapshots.
list(APPEND ML_SOURCES src/pipeline/config.cc src/pipeline/journal.cc
  src/pipeline/publisher.cc src/pipeline/snapshots.cc src/pipeline/stream_worker.cc
  src/pipeline/runner.cc src/pipeline/fragment_frames.cc src/pipeline/server_source.cc)
set(ML_PRIVATE_DEPS ${ML_PRIVATE_DEPS} tomlplusplus::tomlplusplus)
# Called after the library exists (ml-hooks/CMakeLists.txt): the osprey-ml
# binary and the pipeline's tests.
function(ml_pipeline_tests)
  add_executable(osprey-ml ${CMAKE_CURRENT_SOURCE_DIR}/src/main.cc)
  target_link_libraries(osprey-ml PRIVATE osprey::ml_hooks)
  set_target_properties(osprey-ml PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  osprey_test(NAME ml_config SOURCES tests/config_test.cc DEPS osprey::ml_hooks)
  # deploy/config/osprey-ml.toml parses and equals the built-in defaults.
  osprey_test(NAME ml_config_sample SOURCES tests/config_sample_test.cc DEPS osprey::ml_hooks)
  if(TARGET ml_config_sample_test)
    target_compile_definitions(ml_config_sample_test PRIVATE OSPREY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  endif()
  # White-box tests of private pieces (src/pipeline).
  osprey_test(NAME ml_journal SOURCES tests/journal_test.cc DEPS osprey::ml_hooks)
  osprey_test(NAME ml_frame_queue SOURCES tests/frame_queue_test.cc DEPS osprey::ml_hooks)
  foreach(t ml_journal_test ml_frame_queue_test)
    if(TARGET ${t})
      target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    endif()
  endforeach()
endfunction()
