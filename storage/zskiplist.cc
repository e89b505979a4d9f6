#include "storage/zskiplist.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace vellum::storage {
namespace {

constexpr int kInitialHeadLevels = 4;

}  // namespace

ZSkipList::Node* ZSkipList::NewNode(int levels, double score, std::string_view member) {
  const size_t bytes = sizeof(Node) + static_cast<size_t>(levels) * sizeof(Link) + member.size();
  auto* n = static_cast<Node*>(::operator new(bytes));
  n->score = score;
  n->backward = nullptr;
  n->member_size = static_cast<uint32_t>(member.size());
  n->levels = static_cast<uint32_t>(levels);
  for (int i = 0; i < levels; i++) n->links()[i] = Link{nullptr, 0};
  if (!member.empty()) {
    std::memcpy(reinterpret_cast<char*>(n->links() + levels), member.data(), member.size());
  }
  return n;
}

void ZSkipList::FreeNode(Node* n) { ::operator delete(static_cast<void*>(n)); }

size_t ZSkipList::NodeBytes(const Node* n) {
  return sizeof(Node) + n->levels * sizeof(Link) + n->member_size;
}

int ZSkipList::RandomLevel() {
  // p = 1/4, as Redis's ZSKIPLIST_P: about 1.33 links per node.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int level = 1;
  uint64_t bits = rng();
  while ((bits & 3) == 0 && level < kMaxLevel) {
    level++;
    bits >>= 2;
  }
  return level;
}

ZSkipList::ZSkipList() : head_(NewNode(kInitialHeadLevels, 0, {})) {}

ZSkipList::~ZSkipList() {
  Node* n = head_->links()[0].forward;
  while (n != nullptr) {
    Node* next = n->links()[0].forward;
    FreeNode(n);
    n = next;
  }
  FreeNode(head_);
}

ZSkipList::ZSkipList(const ZSkipList& o) : ZSkipList() {
  index_.Reserve(o.size());
  for (const Node* n = o.head_->links()[0].forward; n != nullptr; n = n->links()[0].forward) {
    Set(n->member(), n->score);
  }
}

void ZSkipList::GrowHead(int levels) {
  const int have = static_cast<int>(head_->levels);
  if (levels <= have) return;
  const int cap = std::min(kMaxLevel, std::max(levels, have * 2));
  Node* fresh = NewNode(cap, 0, {});
  for (int i = 0; i < have; i++) fresh->links()[i] = head_->links()[i];
  FreeNode(head_);
  head_ = fresh;
}

ZSkipList::Node* ZSkipList::Insert(double score, std::string_view member) {
  const int level = RandomLevel();
  GrowHead(level);  // first: the walk below keeps pointers to the head
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; i--) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    for (Node* f = x->links()[i].forward;
         f != nullptr && ZSetLess(f->score, f->member(), score, member);
         f = x->links()[i].forward) {
      rank[i] += x->links()[i].span;
      x = f;
    }
    update[i] = x;
  }
  if (level > level_) {
    for (int i = level_; i < level; i++) {
      rank[i] = 0;
      update[i] = head_;
      head_->links()[i].span = length_;
    }
    level_ = level;
  }
  Node* n = NewNode(level, score, member);
  for (int i = 0; i < level; i++) {
    Link& prev = update[i]->links()[i];
    n->links()[i].forward = prev.forward;
    prev.forward = n;
    n->links()[i].span = prev.span - (rank[0] - rank[i]);
    prev.span = rank[0] - rank[i] + 1;
  }
  for (int i = level; i < level_; i++) update[i]->links()[i].span++;
  n->backward = update[0] == head_ ? nullptr : update[0];
  if (n->links()[0].forward != nullptr) {
    n->links()[0].forward->backward = n;
  } else {
    tail_ = n;
  }
  length_++;
  node_bytes_ += NodeBytes(n);
  return n;
}

void ZSkipList::Unlink(Node* n) {
  Node* update[kMaxLevel];
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; i--) {
    for (Node* f = x->links()[i].forward;
         f != nullptr && f != n && ZSetLess(f->score, f->member(), n->score, n->member());
         f = x->links()[i].forward) {
      x = f;
    }
    update[i] = x;
  }
  for (int i = 0; i < level_; i++) {
    Link& prev = update[i]->links()[i];
    if (prev.forward == n) {
      prev.span += n->links()[i].span - 1;
      prev.forward = n->links()[i].forward;
    } else {
      prev.span--;
    }
  }
  Node* next = n->links()[0].forward;
  if (next != nullptr) {
    next->backward = n->backward;
  } else {
    tail_ = n->backward;
  }
  while (level_ > 1 && head_->links()[level_ - 1].forward == nullptr) level_--;
  length_--;
  node_bytes_ -= NodeBytes(n);
}

std::optional<double> ZSkipList::Score(std::string_view member) const {
  const uint32_t i = index_.Find(member, CollectionHash(member));
  if (i == CollectionTable<IndexEntry>::kNil) return std::nullopt;
  return index_.at(i).node->score;
}

bool ZSkipList::Set(std::string_view member, double score) {
  const uint32_t h = CollectionHash(member);
  const uint32_t i = index_.Find(member, h);
  if (i == CollectionTable<IndexEntry>::kNil) {
    Node* n = Insert(score, member);
    index_.Insert(IndexEntry{n, 0, h});
    return true;
  }
  Node* n = index_.at(i).node;
  if (n->score == score) return false;
  const Node* prev = n->backward;
  const Node* next = n->links()[0].forward;
  if ((prev == nullptr || ZSetLess(prev->score, prev->member(), score, n->member())) &&
      (next == nullptr || ZSetLess(score, n->member(), next->score, next->member()))) {
    n->score = score;  // still in order where it is
    return false;
  }
  Unlink(n);
  index_.at(i).node = Insert(score, n->member());
  FreeNode(n);
  return false;
}

bool ZSkipList::Remove(std::string_view member) {
  const uint32_t i = index_.Find(member, CollectionHash(member));
  if (i == CollectionTable<IndexEntry>::kNil) return false;
  Node* n = index_.at(i).node;
  index_.EraseAt(i, /*keep_order=*/false);
  Unlink(n);
  FreeNode(n);
  return true;
}

std::optional<size_t> ZSkipList::Rank(std::string_view member) const {
  const uint32_t i = index_.Find(member, CollectionHash(member));
  if (i == CollectionTable<IndexEntry>::kNil) return std::nullopt;
  const Node* target = index_.at(i).node;
  size_t rank = 0;
  const Node* x = head_;
  for (int l = level_ - 1; l >= 0; l--) {
    for (const Node* f = x->links()[l].forward;
         f != nullptr &&
         (f == target || ZSetLess(f->score, f->member(), target->score, target->member()));
         f = x->links()[l].forward) {
      rank += x->links()[l].span;
      x = f;
    }
    if (x == target) return rank - 1;
  }
  return std::nullopt;  // unreachable while the index and the list agree
}

const ZSkipList::Node* ZSkipList::NodeAt(size_t rank) const {
  size_t traversed = 0;
  const Node* x = head_;
  for (int l = level_ - 1; l >= 0; l--) {
    while (x->links()[l].forward != nullptr && traversed + x->links()[l].span <= rank) {
      traversed += x->links()[l].span;
      x = x->links()[l].forward;
    }
    if (traversed == rank) return x == head_ ? nullptr : x;
  }
  return nullptr;
}

ZSkipList::Item ZSkipList::At(size_t rank) const { return ItemOf(NodeAt(rank + 1)); }

size_t ZSkipList::CountBelow(double score, bool or_equal) const {
  size_t rank = 0;
  const Node* x = head_;
  for (int l = level_ - 1; l >= 0; l--) {
    for (const Node* f = x->links()[l].forward;
         f != nullptr && (f->score < score || (or_equal && f->score == score));
         f = x->links()[l].forward) {
      rank += x->links()[l].span;
      x = f;
    }
  }
  return rank;
}

size_t ZSkipList::CountBelowLex(std::string_view member, bool or_equal) const {
  size_t rank = 0;
  const Node* x = head_;
  for (int l = level_ - 1; l >= 0; l--) {
    for (const Node* f = x->links()[l].forward;
         f != nullptr && (f->member() < member || (or_equal && f->member() == member));
         f = x->links()[l].forward) {
      rank += x->links()[l].span;
      x = f;
    }
  }
  return rank;
}

size_t ZSkipList::MemoryUsage() const {
  return sizeof(ZSkipList) + NodeBytes(head_) + node_bytes_ + index_.MemoryUsage();
}

}  // namespace vellum::storage
