// testr/version.hpp - the version of the header-only core.
#pragma once

#define TESTR_VERSION_MAJOR 0
#define TESTR_VERSION_MINOR 1
#define TESTR_VERSION_PATCH 0

namespace testr {
inline constexpr const char* version_string = "0.1.0";
}  // namespace testr
