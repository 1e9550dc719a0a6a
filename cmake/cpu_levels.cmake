# The CPU backend compiled once per instruction-set level and chosen at run time
# (docs/architecture.md, "CPU capabilities").
#
# A level's kernels (kernels/cpu/*.cpp but dispatch.cpp) are built as an OBJECT
# library with the level's -m flags, hidden visibility and
# CUDANET_CPU_VARIANT=<level>, which puts their functions in
# cudanet::cpu::<level>. The inline functions and template instantiations they
# use (Eigen's, the standard library's) have the same names in every level, so
# the level's objects are then made into one object in which they are local:
#   ld -r --force-group-allocation   links the level's objects into one and
#                                    dissolves the COMDAT groups: left as groups,
#                                    the final link keeps one copy of each by
#                                    name across the levels;
#   objcopy --keep-global-symbol     makes every defined symbol local but the
#                                    level's table. --localize-hidden is not
#                                    enough: libstdc++ declares namespace std
#                                    with default visibility, so std:: function
#                                    templates (std::__rotate_adaptive, ...)
#                                    stay global weak under -fvisibility=hidden.
# -fno-gnu-unique: GCC gives the static locals of inline functions (Eigen's
# cache sizes and thread count) STB_GNU_UNIQUE binding, which objcopy leaves
# global; without it they are plain weak symbols that objcopy localizes.
# cmake/check_cpu_level.cmake then fails the build if any defined symbol but
# the table is still global.
# The object goes into libcudanet.a like any other; undefined references (core,
# libstdc++, libgomp) stay global and resolve once, so OpenMP and core's state
# stay single.

include(CheckCXXSourceCompiles)
set(CUDANET_CPU_LEVELS_DIR ${CMAKE_CURRENT_LIST_DIR})

set(CUDANET_CPU_FLAGS_avx2 -mavx2 -mfma)
# Eigen's packets are intrinsics and stay 512 bits wide; 256 is for GCC's own
# vectoriser, which (generic tuning) otherwise goes to 512 bits and ran the 2x2
# max pooling 3.7 to 6 times slower on AMD Zen 4 (rows of 13 and 5 outputs, shorter than
# one vector); GCC's Intel AVX-512 tunings prefer 256 bits too.
set(CUDANET_CPU_FLAGS_avx512 -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl -mavx512dq -mprefer-vector-width=256)
set(CUDANET_CPU_FLAGS_native -march=native)

# cudanet_cpu_levels(<var>): the levels to build: native alone with
# CUDANET_NATIVE_CPU, else baseline and, on x86-64, the levels the compiler
# accepts.
function(cudanet_cpu_levels var)
  if(CUDANET_NATIVE_CPU)
    set(${var} native PARENT_SCOPE)
    return()
  endif()
  set(levels baseline)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    foreach(level avx2 avx512)
      list(JOIN CUDANET_CPU_FLAGS_${level} " " CMAKE_REQUIRED_FLAGS)
      check_cxx_source_compiles([[
        #include <immintrin.h>
        int main() {
        #if defined(__AVX512F__)
          __m512 v = _mm512_set1_ps(1.f); return (int)_mm512_reduce_add_ps(_mm512_fmadd_ps(v, v, v));
        #else
          __m256 v = _mm256_set1_ps(1.f); return (int)_mm256_cvtss_f32(_mm256_fmadd_ps(v, v, v));
        #endif
        }]] CUDANET_CPU_COMPILER_HAS_${level})
      if(CUDANET_CPU_COMPILER_HAS_${level})
        list(APPEND levels ${level})
      endif()
    endforeach()
  endif()
  set(${var} ${levels} PARENT_SCOPE)
endfunction()

# cudanet_add_cpu_level(<target> <level> SOURCES <kernel sources>): compiles the
# sources for <level> with <target>'s settings and adds the level's one object
# (table cudanet_cpu_kernels_<level>) to <target>.
function(cudanet_add_cpu_level target level)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "SOURCES")
  if(NOT CMAKE_LINKER OR NOT CMAKE_OBJCOPY OR NOT CMAKE_NM)
    message(FATAL_ERROR "cudanet: the CPU levels need GNU ld, objcopy and nm (binutils); found ld '${CMAKE_LINKER}', "
                        "objcopy '${CMAKE_OBJCOPY}', nm '${CMAKE_NM}'")
  endif()
  set(objects cudanet_cpu_${level})
  add_library(${objects} OBJECT ${arg_SOURCES})
  # The library's own settings (include folders, definitions, warnings), so the
  # kernels see every header as the rest of the library does.
  target_include_directories(${objects} PRIVATE $<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>)
  target_compile_definitions(${objects} PRIVATE $<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>
                                                CUDANET_CPU_VARIANT=${level})
  target_compile_options(${objects} PRIVATE $<TARGET_PROPERTY:${target},COMPILE_OPTIONS>
    -fvisibility=hidden -fvisibility-inlines-hidden $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique> -fno-lto
    ${CUDANET_CPU_FLAGS_${level}}
    # A definition whose signature drifted from its CUDANET_CPU_KERNEL line is an
    # overload no table names: say so at compile time.
    -Werror=missing-declarations)
  if(level MATCHES "^(avx512|native)$" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's avx512fintrin.h (`__m512 __Y = __Y;` in _mm512_undefined_ps)
    # trips -Wmaybe-uninitialized through Eigen, dozens of times (GCC bug
    # 105593); the baseline and avx2 builds of the same sources keep the warning.
    target_compile_options(${objects} PRIVATE -Wno-maybe-uninitialized)
  endif()
  target_link_libraries(${objects} PRIVATE Eigen3::Eigen OpenMP::OpenMP_CXX)
  set_target_properties(${objects} PROPERTIES INTERPROCEDURAL_OPTIMIZATION OFF)

  # Written under another name and renamed last, so a failed step leaves no
  # object that a later build would take for done.
  set(merged ${CMAKE_CURRENT_BINARY_DIR}/cudanet_cpu_${level}.o)
  set(partial ${CMAKE_CURRENT_BINARY_DIR}/cudanet_cpu_${level}.partial.o)
  add_custom_command(OUTPUT ${merged}
    COMMAND ${CMAKE_LINKER} -r --force-group-allocation -o ${partial} $<TARGET_OBJECTS:${objects}>
    COMMAND ${CMAKE_OBJCOPY} --keep-global-symbol=cudanet_cpu_kernels_${level} ${partial}
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DOBJECT=${partial} -DKEEP=cudanet_cpu_kernels_${level}
            -P ${CUDANET_CPU_LEVELS_DIR}/check_cpu_level.cmake
    COMMAND ${CMAKE_COMMAND} -E rename ${partial} ${merged}
    DEPENDS ${objects} $<TARGET_OBJECTS:${objects}> ${CUDANET_CPU_LEVELS_DIR}/check_cpu_level.cmake
    COMMAND_EXPAND_LISTS VERBATIM
    COMMENT "CPU kernels for ${level}: one object, only cudanet_cpu_kernels_${level} global")
  set_source_files_properties(${merged} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  target_sources(${target} PRIVATE ${merged})
  string(TOUPPER ${level} upper)
  target_compile_definitions(${target} PRIVATE CUDANET_CPU_BUILT_${upper}=1)
endfunction()
