# Helpers that every module uses, so that each folder's CMakeLists.txt stays a
# few lines long and the public/private split is enforced the same way.

# osprey_library(NAME fragments SOURCES src/a.cc ... DEPS osprey::base PRIVATE_DEPS OpenSSL::Crypto)
# Creates osprey_<NAME> with alias osprey::<NAME>. Only include/ is PUBLIC;
# src/ is PRIVATE, so other modules cannot reach private headers.
# Each public header is also compiled alone (target osprey_<NAME>_headers),
# which proves it includes what it uses (unless OSPREY_HEADER_CHECKS is OFF,
# as in the sanitizer build).
function(osprey_library)
  cmake_parse_arguments(L "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target osprey_${L_NAME})
  if(L_SOURCES)
    add_library(${target} STATIC ${L_SOURCES})
    target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${L_DEPS} PRIVATE ${L_PRIVATE_DEPS})
    if(OSPREY_FUZZ)
      # Instrument the libraries themselves, not only the fuzz drivers, so
      # libFuzzer sees coverage inside the parsers.
      target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
    endif()
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE ${L_DEPS})
  endif()
  add_library(osprey::${L_NAME} ALIAS ${target})

  file(GLOB_RECURSE public_headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/include/*.h)
  if(public_headers AND OSPREY_HEADER_CHECKS)
    set(stubs)
    foreach(h ${public_headers})
      file(RELATIVE_PATH rel ${CMAKE_CURRENT_SOURCE_DIR}/include ${h})
      string(MAKE_C_IDENTIFIER ${rel} id)
      set(stub ${CMAKE_CURRENT_BINARY_DIR}/header_check/${id}.cc)
      file(CONFIGURE OUTPUT ${stub} CONTENT "#include \"${rel}\"\n")
      list(APPEND stubs ${stub})
    endforeach()
    add_library(${target}_headers OBJECT ${stubs})
    target_link_libraries(${target}_headers PRIVATE ${target})
  endif()
endfunction()

# osprey_test(NAME base_status SOURCES tests/status_test.cc DEPS osprey::base)
function(osprey_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT OSPREY_BUILD_TESTS)
    return()
  endif()
  add_executable(${T_NAME}_test ${T_SOURCES})
  target_link_libraries(${T_NAME}_test PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  set_target_properties(${T_NAME}_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME}_test)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "unit;${T_LABELS}")
endfunction()

# osprey_fuzzer(NAME sigv4_header SOURCES fuzz/x.cc DEPS osprey::auth)
# Built only with OSPREY_FUZZ=ON under clang (see .ci/run for the bounded run).
function(osprey_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT OSPREY_FUZZ)
    return()
  endif()
  if(NOT TARGET fuzzers)
    add_custom_target(fuzzers)
  endif()
  add_executable(fuzz_${F_NAME} ${F_SOURCES})
  add_dependencies(fuzzers fuzz_${F_NAME})
  target_compile_options(fuzz_${F_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_${F_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_${F_NAME} PRIVATE ${F_DEPS})
  set_target_properties(fuzz_${F_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endfunction()
