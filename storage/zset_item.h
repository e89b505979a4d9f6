// ZSetItem: one member of a sorted set and its score, as the sorted-set forms hand them
// out. The member's bytes belong to the set: the view lives until the set next changes.
#pragma once

#include <string_view>

namespace vellum::storage {

struct ZSetItem {
  std::string_view member;
  double score;
};

}  // namespace vellum::storage
