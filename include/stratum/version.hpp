// The library's version. CMakeLists.txt reads it from here (one source of truth); serialized states carry
// STRATUM_VERSION_NUMBER in their header (docs/serialization.md) and reports print STRATUM_VERSION.
#pragma once

#define STRATUM_VERSION_MAJOR 0
#define STRATUM_VERSION_MINOR 2
#define STRATUM_VERSION_PATCH 0
/// "MAJOR.MINOR.PATCH"
#define STRATUM_VERSION "0.2.0"
/// MAJOR * 10000 + MINOR * 100 + PATCH, for comparisons in the preprocessor and in serialized headers.
#define STRATUM_VERSION_NUMBER \
  (STRATUM_VERSION_MAJOR * 10000 + STRATUM_VERSION_MINOR * 100 + STRATUM_VERSION_PATCH)
