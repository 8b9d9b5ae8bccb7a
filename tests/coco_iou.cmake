# The IoU test is compiled with the flags that turn a*b+c into an FMA when nothing prevents it.
include(CheckCXXCompilerFlag)
check_cxx_compiler_flag("-march=native" STRATUM_HAS_MARCH_NATIVE)
if(STRATUM_HAS_MARCH_NATIVE)
  target_compile_options(test_coco_iou PRIVATE -O3 -march=native -ffp-contract=fast)
else()
  target_compile_options(test_coco_iou PRIVATE -O3 -ffp-contract=fast)
endif()
# GCC 12's own avx512fintrin.h trips -Wmaybe-uninitialized on _mm512_undefined_pd (GCC bug 105593).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(test_coco_iou PRIVATE -Wno-maybe-uninitialized)
endif()
