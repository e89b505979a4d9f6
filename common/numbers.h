// Number <-> text conversions with Redis's exact rules (string2ll, string2ld, ld2string).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vellum {

// Strict integer parse as Redis's string2ll: optional '-', no '+', no spaces,
// no leading zeros, must fit in int64. Returns false on any deviation.
bool ParseInt64(std::string_view s, int64_t* out);

// Float parse as Redis's string2ld/getLongDoubleFromObject: no leading space,
// whole string consumed, not NaN. Accepts "inf", "-inf", exponents.
bool ParseLongDouble(std::string_view s, long double* out);
// Same for double (used by RESP3 doubles and options).
bool ParseDouble(std::string_view s, double* out);

// Formats as Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros and dot removed.
std::string FormatLongDoubleHuman(long double v);
// Formats a double as RESP3/Redis "%.17g"; "inf", "-inf", "nan".
std::string FormatDouble(double v);

// Number of decimal digits text of v would take (for MEMORY/encoding decisions).
inline int Int64Length(int64_t v) { return static_cast<int>(std::to_string(v).size()); }

}  // namespace vellum
