// ZSetItem: one member of a sorted set and its score, as the sorted-set forms hand them
// out. The member's bytes belong to the set: the view lives until the set next changes.
#pragma once

#include <string_view>

namespace vellum::storage {

struct ZSetItem {
  std::string_view member;
  double score;
};

// Sorted-set order: (a_score, a_member) before (b_score, b_member) by score, then by the
// members' bytes. Both forms (zset_value's packed string, zskiplist) keep it.
inline bool ZSetLess(double a_score, std::string_view a_member, double b_score,
                     std::string_view b_member) {
  return a_score < b_score || (a_score == b_score && a_member < b_member);
}

}  // namespace vellum::storage
