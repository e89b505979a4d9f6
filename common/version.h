// Vellum's own version (INFO's vellum_version, snapshot manifests, vellumctl --version).
#pragma once

namespace vellum {
inline constexpr char kVellumVersion[] = "0.1.0";
}  // namespace vellum
