#include "classify/digit_rows.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cordon::classify {
namespace {

using ByteSet = std::array<std::uint64_t, 4>;

constexpr void setByte(ByteSet& set, unsigned char c) noexcept {
  set[c >> 6U] |= std::uint64_t{1} << (c & 63U);
}
constexpr bool hasByte(const ByteSet& set, unsigned char c) noexcept {
  return ((set[c >> 6U] >> (c & 63U)) & 1U) != 0;
}
constexpr void setRange(ByteSet& set, unsigned char lo, unsigned char hi) noexcept {
  for (unsigned c = lo; c <= hi; ++c) {
    setByte(set, static_cast<unsigned char>(c));
  }
}
constexpr ByteSet digitSet() noexcept {
  ByteSet set{};
  setRange(set, '0', '9');
  return set;
}
/// Hyperscan's \s without the UCP flag.
ByteSet spaceSet() noexcept {
  ByteSet set{};
  setRange(set, '\t', '\r');
  setByte(set, ' ');
  return set;
}
constexpr ByteSet alnumSet() noexcept {
  ByteSet set = digitSet();
  setRange(set, 'a', 'z');
  setRange(set, 'A', 'Z');
  return set;
}
ByteSet wordSet() noexcept {
  ByteSet set = digitSet();
  setRange(set, 'a', 'z');
  setRange(set, 'A', 'Z');
  setByte(set, '_');
  return set;
}
void addAll(ByteSet& set, const ByteSet& more) noexcept {
  for (std::size_t i = 0; i < set.size(); ++i) {
    set[i] |= more[i];
  }
}
bool isSubset(const ByteSet& set, const ByteSet& of) noexcept {
  for (std::size_t i = 0; i < set.size(); ++i) {
    if ((set[i] & ~of[i]) != 0) {
      return false;
    }
  }
  return true;
}
/// Both cases of every ASCII letter in the set (Hyperscan's HS_FLAG_CASELESS).
void foldCase(ByteSet& set) noexcept {
  for (unsigned c = 'a'; c <= 'z'; ++c) {
    const auto lower = static_cast<unsigned char>(c);
    const auto upper = static_cast<unsigned char>(c - 'a' + 'A');
    if (hasByte(set, lower) || hasByte(set, upper)) {
      setByte(set, lower);
      setByte(set, upper);
    }
  }
}

constexpr int kUnbounded = -1;

/// The widest windows a row may need before its first digit and after or between digits. A long
/// lead or trail (a bitcoin address after its first digit, a Mailchimp key before its data-centre
/// digits) costs little: a window is opened only when the stretch of the row's bytes around the
/// digits is as wide as a match.
constexpr std::uint32_t kMaxLead = 40;
constexpr std::uint32_t kMaxGap = 40;

/// A parsed regex: a class (one byte), a sequence, alternatives, or a bounded or unbounded
/// repetition of one child.
struct Node {
  enum class Kind : std::uint8_t { Class, Concat, Alt, Repeat };
  Kind kind = Kind::Concat;
  ByteSet set{};
  std::vector<Node> kids;
  int min = 1;
  int max = 1;
};

int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isAsciiAlnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// For the stretch walks over hashes and ids: one bit test a byte instead of three ranges.
constexpr ByteSet kAlnumBytes = alnumSet();

/// Recursive descent over the subset of Hyperscan's syntax the table uses: bytes, escapes, classes,
/// groups, alternation and greedy quantifiers. Anything else (anchors, '.', assertions, lazy
/// quantifiers) fails, and the row stays in Hyperscan.
class Parser {
public:
  Parser(std::string_view regex, bool caseless) : s_(regex), caseless_(caseless) {}

  std::optional<Node> parse() {
    std::optional<Node> node = alternation();
    if (!node || pos_ != s_.size()) {
      return std::nullopt;
    }
    return node;
  }

private:
  bool done() const noexcept { return pos_ >= s_.size(); }
  char peek() const noexcept { return s_[pos_]; }

  std::optional<Node> alternation() {
    Node alt;
    alt.kind = Node::Kind::Alt;
    while (true) {
      std::optional<Node> branch = sequence();
      if (!branch) {
        return std::nullopt;
      }
      alt.kids.push_back(std::move(*branch));
      if (done() || peek() != '|') {
        break;
      }
      ++pos_;
    }
    if (alt.kids.size() == 1) {
      return std::move(alt.kids.front());
    }
    return alt;
  }

  std::optional<Node> sequence() {
    Node seq;
    seq.kind = Node::Kind::Concat;
    while (!done() && peek() != '|' && peek() != ')') {
      std::optional<Node> item = atom();
      if (!item || !quantifier(*item)) {
        return std::nullopt;
      }
      seq.kids.push_back(std::move(*item));
    }
    return seq;
  }

  bool quantifier(Node& item) {
    if (done()) {
      return true;
    }
    int min = 1;
    int max = 1;
    const char c = peek();
    if (c == '?') {
      min = 0;
      ++pos_;
    } else if (c == '*') {
      min = 0;
      max = kUnbounded;
      ++pos_;
    } else if (c == '+') {
      max = kUnbounded;
      ++pos_;
    } else if (c == '{') {
      ++pos_;
      std::optional<int> lo = number();
      if (!lo || done()) {
        return false;
      }
      min = *lo;
      max = *lo;
      if (peek() == ',') {
        ++pos_;
        max = kUnbounded;
        if (!done() && peek() != '}') {
          std::optional<int> hi = number();
          if (!hi || *hi < min) {
            return false;
          }
          max = *hi;
        }
      }
      if (done() || peek() != '}') {
        return false;
      }
      ++pos_;
    } else {
      return true;
    }
    if (!done() && (peek() == '?' || peek() == '+' || peek() == '*' || peek() == '{')) {
      return false; // lazy, possessive or stacked quantifiers
    }
    Node repeat;
    repeat.kind = Node::Kind::Repeat;
    repeat.min = min;
    repeat.max = max;
    repeat.kids.push_back(std::move(item));
    item = std::move(repeat);
    return true;
  }

  std::optional<int> number() {
    int value = 0;
    const std::size_t from = pos_;
    while (!done() && peek() >= '0' && peek() <= '9' && value <= 1000) {
      value = value * 10 + (peek() - '0');
      ++pos_;
    }
    if (pos_ == from || value > 1000) {
      return std::nullopt;
    }
    return value;
  }

  Node classNode(ByteSet set) const {
    if (caseless_) {
      foldCase(set);
    }
    Node node;
    node.kind = Node::Kind::Class;
    node.set = set;
    return node;
  }

  std::optional<Node> atom() {
    const char c = peek();
    if (c == '(') {
      ++pos_;
      if (s_.substr(pos_, 2) == "?:") {
        pos_ += 2;
      } else if (!done() && peek() == '?') {
        return std::nullopt; // lookaround, flags, named groups
      }
      std::optional<Node> inner = alternation();
      if (!inner || done() || peek() != ')') {
        return std::nullopt;
      }
      ++pos_;
      return inner;
    }
    if (c == '[') {
      ++pos_;
      std::optional<ByteSet> set = bracket();
      if (!set) {
        return std::nullopt;
      }
      return classNode(*set);
    }
    if (c == '\\') {
      ++pos_;
      std::optional<ByteSet> set = escape(false);
      if (!set) {
        return std::nullopt;
      }
      return classNode(*set);
    }
    if (c == '.' || c == '^' || c == '$' || c == '*' || c == '+' || c == '?' || c == '{' ||
        c == '}' || c == ']') {
      return std::nullopt;
    }
    ++pos_;
    ByteSet set{};
    setByte(set, static_cast<unsigned char>(c));
    return classNode(set);
  }

  /// After a backslash: a class escape or one literal byte.
  std::optional<ByteSet> escape(bool in_class) {
    if (done()) {
      return std::nullopt;
    }
    const char c = peek();
    ++pos_;
    ByteSet set{};
    if (c == 'd') {
      return digitSet();
    }
    if (c == 's') {
      return spaceSet();
    }
    if (c == 'w') {
      return wordSet();
    }
    if (c == 'x') {
      if (pos_ + 2 > s_.size()) {
        return std::nullopt;
      }
      const int hi = hexValue(s_[pos_]);
      const int lo = hexValue(s_[pos_ + 1]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      pos_ += 2;
      setByte(set, static_cast<unsigned char>(hi * 16 + lo));
      return set;
    }
    if (c == 't') {
      setByte(set, '\t');
      return set;
    }
    if (c == 'n') {
      setByte(set, '\n');
      return set;
    }
    if (c == 'r') {
      setByte(set, '\r');
      return set;
    }
    // Any other letter or digit escape has a meaning of its own (\b, \B, \1, \Q ...).
    if (isAsciiAlnum(c) || (in_class && c == '\0')) {
      return std::nullopt;
    }
    setByte(set, static_cast<unsigned char>(c));
    return set;
  }

  /// After '[': the class up to its ']'.
  std::optional<ByteSet> bracket() {
    ByteSet set{};
    bool negate = false;
    if (!done() && peek() == '^') {
      negate = true;
      ++pos_;
    }
    bool first = true;
    while (true) {
      if (done()) {
        return std::nullopt;
      }
      char c = peek();
      if (c == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      if (c == '[') {
        return std::nullopt; // POSIX classes
      }
      // One item: a byte, or a class escape (which cannot start a range).
      int lo = -1;
      ++pos_;
      if (c == '\\') {
        const std::size_t at = pos_;
        std::optional<ByteSet> item = escape(true);
        if (!item) {
          return std::nullopt;
        }
        const bool single = std::popcount((*item)[0]) + std::popcount((*item)[1]) +
                                std::popcount((*item)[2]) + std::popcount((*item)[3]) ==
                            1;
        const char e = s_[at];
        if (single && e != 'd' && e != 's' && e != 'w') {
          for (unsigned b = 0; b < 256; ++b) {
            if (hasByte(*item, static_cast<unsigned char>(b))) {
              lo = static_cast<int>(b);
            }
          }
        } else {
          addAll(set, *item);
          continue;
        }
      } else {
        lo = static_cast<unsigned char>(c);
      }
      // A range "a-z"; a '-' before ']' is a literal.
      if (pos_ + 1 < s_.size() && peek() == '-' && s_[pos_ + 1] != ']') {
        ++pos_;
        c = peek();
        ++pos_;
        int hi = static_cast<unsigned char>(c);
        if (c == '\\') {
          std::optional<ByteSet> item = escape(true);
          if (!item) {
            return std::nullopt;
          }
          const char e = s_[pos_ - 1];
          if (e == 'd' || e == 's' || e == 'w') {
            return std::nullopt;
          }
          hi = -1;
          for (unsigned b = 0; b < 256; ++b) {
            if (hasByte(*item, static_cast<unsigned char>(b))) {
              hi = static_cast<int>(b);
            }
          }
        } else if (c == '[') {
          return std::nullopt;
        }
        if (hi < lo) {
          return std::nullopt;
        }
        setRange(set, static_cast<unsigned char>(lo), static_cast<unsigned char>(hi));
      } else {
        setByte(set, static_cast<unsigned char>(lo));
      }
    }
    if (negate) {
      if (caseless_) {
        foldCase(set); // [^a] caseless refuses 'A' too
      }
      for (std::uint64_t& word : set) {
        word = ~word;
      }
    }
    return set;
  }

  std::string_view s_;
  bool caseless_;
  std::size_t pos_ = 0;
};

/// A Glushkov automaton under construction: one position per class in the expanded regex.
struct Automaton {
  std::vector<ByteSet> sets;
  std::vector<std::uint64_t> follow;
  bool overflow = false;

  struct Fragment {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    bool nullable = true;
  };

  void link(std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t m = from; m != 0; m &= m - 1) {
      follow[static_cast<std::size_t>(std::countr_zero(m))] |= to;
    }
  }

  static Fragment sequence(Automaton& a, Fragment left, Fragment right) {
    a.link(left.last, right.first);
    Fragment out;
    out.first = left.first | (left.nullable ? right.first : 0);
    out.last = right.last | (right.nullable ? left.last : 0);
    out.nullable = left.nullable && right.nullable;
    return out;
  }

  Fragment build(const Node& node) {
    if (overflow) {
      return {};
    }
    switch (node.kind) {
    case Node::Kind::Class: {
      if (sets.size() >= kMaxRowPositions) {
        overflow = true;
        return {};
      }
      sets.push_back(node.set);
      follow.push_back(0);
      const std::uint64_t bit = std::uint64_t{1} << (sets.size() - 1);
      return Fragment{bit, bit, false};
    }
    case Node::Kind::Concat: {
      Fragment out;
      for (const Node& kid : node.kids) {
        out = sequence(*this, out, build(kid));
      }
      return out;
    }
    case Node::Kind::Alt: {
      Fragment out{0, 0, false};
      for (const Node& kid : node.kids) {
        const Fragment f = build(kid);
        out.first |= f.first;
        out.last |= f.last;
        out.nullable = out.nullable || f.nullable;
      }
      return out;
    }
    case Node::Kind::Repeat: {
      Fragment out;
      for (int i = 0; i < node.min; ++i) {
        out = sequence(*this, out, build(node.kids.front()));
      }
      if (node.max == kUnbounded) {
        Fragment loop = build(node.kids.front());
        link(loop.last, loop.first);
        loop.nullable = true;
        out = sequence(*this, out, loop);
      } else {
        // a{0,2} as (?:a(?:a)?)?: each further copy only after the one before it.
        Fragment tail{0, 0, true};
        std::vector<Fragment> copies;
        for (int i = node.min; i < node.max; ++i) {
          copies.push_back(build(node.kids.front()));
        }
        for (auto it = copies.rbegin(); it != copies.rend(); ++it) {
          Fragment f = sequence(*this, *it, tail);
          f.nullable = true;
          tail = f;
        }
        out = sequence(*this, out, tail);
      }
      return out;
    }
    }
    return {};
  }
};

/// Positions reachable from `from` through positions of `allowed` only (`from` included).
std::uint64_t reach(const std::vector<std::uint64_t>& follow, std::uint64_t from,
                    std::uint64_t allowed) noexcept {
  std::uint64_t seen = from & allowed;
  std::uint64_t frontier = seen;
  while (frontier != 0) {
    std::uint64_t next = 0;
    for (std::uint64_t m = frontier; m != 0; m &= m - 1) {
      next |= follow[static_cast<std::size_t>(std::countr_zero(m))];
    }
    next &= allowed & ~seen;
    seen |= next;
    frontier = next;
  }
  return seen;
}

/// Positions that are in `target` or reach one through positions of `allowed` only (`target`
/// lies within `allowed`).
std::uint64_t reaching(const std::vector<std::uint64_t>& follow, std::uint64_t target,
                       std::uint64_t allowed, std::size_t n) noexcept {
  std::uint64_t found = 0;
  for (std::size_t p = 0; p < n; ++p) {
    const std::uint64_t bit = std::uint64_t{1} << p;
    if ((target & bit) != 0 || (reach(follow, follow[p], allowed) & target) != 0) {
      found |= bit;
    }
  }
  return found;
}

/// Longest path through positions of `within` from each of them (a DAG there, so repeated
/// relaxation settles).
std::array<std::uint32_t, kMaxRowPositions> longestPaths(const std::vector<std::uint64_t>& follow,
                                                         std::uint64_t within, std::size_t n) {
  std::array<std::uint32_t, kMaxRowPositions> longest{};
  for (std::size_t round = 0; round < n; ++round) {
    for (std::uint64_t m = within; m != 0; m &= m - 1) {
      const auto p = static_cast<std::size_t>(std::countr_zero(m));
      std::uint32_t best = 1;
      for (std::uint64_t f = follow[p] & within; f != 0; f &= f - 1) {
        best = std::max(best, 1 + longest[static_cast<std::size_t>(std::countr_zero(f))]);
      }
      longest[p] = best;
    }
  }
  return longest;
}

/// Lengths of a stretch of anchor bytes, as an index into the tables of DigitRows::add: 1 ... 63,
/// and 64 for anything longer.
constexpr std::size_t kStretchCap = 64;

/// What the maximal stretches of anchor bytes of one kind can look like in a match.
struct StretchShape {
  std::array<bool, kStretchCap + 1> lengths{}; ///< Their possible lengths (capped).
  ByteSet first_bytes{};                       ///< The bytes they may start with.
  ByteSet last_bytes{};                        ///< The bytes they may end with.
};

/// The stretches that start at a position of `starts`, step through positions of `cap` (those
/// whose class holds an anchor byte) and end at a position of `ends`; with `need`, only those
/// that pass one of its positions. A walk over (position, length so far, `need` seen) from each
/// start: an over-estimate, since it ignores what a byte outside the stretch must be.
StretchShape stretches(const Automaton& a, std::size_t n, std::uint64_t cap, std::uint64_t starts,
                       std::uint64_t ends, std::uint64_t need, const ByteSet& anchors) {
  StretchShape shape;
  const auto anchored = [&](std::size_t p) {
    ByteSet set = a.sets[p];
    for (std::size_t w = 0; w < set.size(); ++w) {
      set[w] &= anchors[w];
    }
    return set;
  };
  struct State {
    std::size_t pos;
    std::size_t length;
    bool seen;
  };
  std::vector<bool> visited;
  std::vector<State> stack;
  for (std::uint64_t m = starts & cap; m != 0; m &= m - 1) {
    const auto origin = static_cast<std::size_t>(std::countr_zero(m));
    visited.assign(n * (kStretchCap + 1) * 2, false);
    const auto push = [&](std::size_t pos, std::size_t length, bool seen) {
      const std::size_t key = (pos * (kStretchCap + 1) + length) * 2 + (seen ? 1 : 0);
      if (!visited[key]) {
        visited[key] = true;
        stack.push_back(State{pos, length, seen});
      }
    };
    push(origin, 1, (need >> origin & 1U) != 0);
    bool found = false;
    while (!stack.empty()) {
      const State state = stack.back();
      stack.pop_back();
      if (state.seen && (ends >> state.pos & 1U) != 0) {
        found = true;
        shape.lengths[state.length] = true;
        addAll(shape.last_bytes, anchored(state.pos));
      }
      for (std::uint64_t f = a.follow[state.pos] & cap; f != 0; f &= f - 1) {
        const auto q = static_cast<std::size_t>(std::countr_zero(f));
        push(q, std::min(state.length + 1, kStretchCap), state.seen || (need >> q & 1U) != 0);
      }
    }
    if (found) {
      addAll(shape.first_bytes, anchored(origin));
    }
  }
  return shape;
}

/// The edge code of a byte that borders a digit run; `beyond` is the byte past it (or -1).
std::uint16_t edgeCode(unsigned char c, int beyond) noexcept {
  const bool alnum_beyond =
      beyond >= 0 && isAsciiAlnum(static_cast<char>(static_cast<unsigned char>(beyond)));
  if (c == '.' && alnum_beyond) {
    return kEdgeDotAlnum;
  }
  if (c == '-' && alnum_beyond) {
    return kEdgeDashAlnum;
  }
  return c;
}

/// Whether an edge code is an ASCII letter or digit.
bool alnumEdge(std::uint16_t code) noexcept {
  return code < 256 && isAsciiAlnum(static_cast<char>(code));
}

/// Edge codes (below kEdgeText) whose byte is in `set`; the two "with alnum beyond" codes count
/// as their byte.
EdgeSet codesOf(const ByteSet& set) noexcept {
  EdgeSet codes;
  for (unsigned c = 0; c < 256; ++c) {
    codes[c] = hasByte(set, static_cast<unsigned char>(c));
  }
  codes[kEdgeDotAlnum] = hasByte(set, '.');
  codes[kEdgeDashAlnum] = hasByte(set, '-');
  return codes;
}

/// True when one of the `anchor` bytes is in `codes`.
bool anyAnchorCode(const EdgeSet& codes, const ByteSet& anchor) noexcept {
  for (unsigned c = 0; c < 256; ++c) {
    if (codes[c] && hasByte(anchor, static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

} // namespace

DigitRows::DigitRows() : DigitRows("0123456789") {}

DigitRows::DigitRows(std::string_view anchor_bytes) {
  anchor_first_ = 255;
  for (const char c : anchor_bytes) {
    const auto byte = static_cast<unsigned char>(c);
    setByte(anchor_, byte);
    is_anchor_[byte] = true;
    anchor_first_ = std::min(anchor_first_, byte);
    anchor_last_ = std::max(anchor_last_, byte);
  }
  anchor_range_ = !anchor_bytes.empty() && anchor_last_ - anchor_first_ < 127;
  for (unsigned c = anchor_first_; anchor_range_ && c <= anchor_last_; ++c) {
    anchor_range_ = is_anchor_[c];
  }
}

bool DigitRows::add(std::uint32_t id, std::string_view regex, bool caseless,
                    const EdgeSet& start_ok, const EdgeSet& end_ok) {
  if (rows_.size() >= kMaxDigitRows) {
    return false;
  }
  std::optional<Node> parsed = Parser(regex, caseless).parse();
  if (!parsed) {
    return false;
  }
  Automaton a;
  const Automaton::Fragment whole = a.build(*parsed);
  const std::size_t n = a.sets.size();
  if (a.overflow || whole.nullable || n == 0) {
    return false;
  }
  const std::uint64_t all = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  // "Digits" below are the anchor bytes (digitSet() unless the constructor was told otherwise).
  const ByteSet& digits = anchor_;
  std::uint64_t digit_only = 0;
  for (std::size_t p = 0; p < n; ++p) {
    if (isSubset(a.sets[p], digits)) {
      digit_only |= std::uint64_t{1} << p;
    }
  }
  const std::uint64_t other = all & ~digit_only;
  // Every match holds a digit-only position: no path from a start to an end avoids them.
  if ((reach(a.follow, whole.first, other) & whole.last) != 0) {
    return false;
  }
  // The runs of other positions are bounded: no cycle among them.
  for (std::uint64_t m = other; m != 0; m &= m - 1) {
    const auto p = static_cast<std::size_t>(std::countr_zero(m));
    if ((reach(a.follow, a.follow[p], other) >> p & 1U) != 0) {
      return false;
    }
  }
  const std::array<std::uint32_t, kMaxRowPositions> longest = longestPaths(a.follow, other, n);
  std::uint32_t lead = 0;
  for (std::uint64_t m = whole.first & other; m != 0; m &= m - 1) {
    lead = std::max(lead, longest[static_cast<std::size_t>(std::countr_zero(m))]);
  }
  // Other positions right after a digit-only one (inner gaps and trails start there).
  std::uint64_t after_digit = 0;
  for (std::uint64_t m = digit_only; m != 0; m &= m - 1) {
    after_digit |= a.follow[static_cast<std::size_t>(std::countr_zero(m))] & other;
  }
  std::uint32_t trail = 0;
  for (std::uint64_t m = after_digit; m != 0; m &= m - 1) {
    trail = std::max(trail, longest[static_cast<std::size_t>(std::countr_zero(m))]);
  }
  // Longer runs without digits (a token after a short number) make windows reach far into the
  // text around every digit: such rows are cheaper in Hyperscan, where their literals anchor them.
  if (lead > kMaxLead || trail > kMaxGap) {
    return false;
  }

  // Other positions that lead into a digit-only one, or follow one towards an end or towards
  // another digit-only one.
  std::uint64_t into_digit = 0;
  for (std::size_t p = 0; p < n; ++p) {
    if ((a.follow[p] & digit_only) != 0) {
      into_digit |= std::uint64_t{1} << p;
    }
  }
  const std::uint64_t leads = reach(a.follow, whole.first & other, other) & into_digit;
  const std::uint64_t towards_end = reaching(a.follow, whole.last & other, other, n) & other;
  const std::uint64_t towards_digit = reaching(a.follow, into_digit & other, other, n) & other;
  const std::uint64_t inner = reach(a.follow, after_digit, other) & towards_digit;
  ByteSet before_digit{};
  for (std::uint64_t m = leads; m != 0; m &= m - 1) {
    addAll(before_digit, a.sets[static_cast<std::size_t>(std::countr_zero(m))]);
  }
  ByteSet after_last{};
  for (std::uint64_t m = after_digit & towards_end; m != 0; m &= m - 1) {
    addAll(after_last, a.sets[static_cast<std::size_t>(std::countr_zero(m))]);
  }
  ByteSet inner_bytes{};
  for (std::uint64_t m = inner; m != 0; m &= m - 1) {
    addAll(inner_bytes, a.sets[static_cast<std::size_t>(std::countr_zero(m))]);
  }
  const std::array<std::uint32_t, kMaxRowPositions> longest_inner =
      longestPaths(a.follow, inner, n);
  std::uint32_t gap = 0;
  for (std::uint64_t m = after_digit & inner; m != 0; m &= m - 1) {
    gap = std::max(gap, longest_inner[static_cast<std::size_t>(std::countr_zero(m))]);
  }

  // Fewest digit-only positions on a path from a start to an end.
  constexpr std::uint32_t kFar = std::numeric_limits<std::uint32_t>::max() / 2;
  std::array<std::uint32_t, kMaxRowPositions> cost{};
  cost.fill(kFar);
  for (std::uint64_t m = whole.first; m != 0; m &= m - 1) {
    const auto p = static_cast<std::size_t>(std::countr_zero(m));
    cost[p] = (digit_only >> p & 1U) != 0 ? 1 : 0;
  }
  for (std::size_t round = 0; round < n; ++round) {
    for (std::size_t p = 0; p < n; ++p) {
      for (std::uint64_t f = a.follow[p]; f != 0; f &= f - 1) {
        const auto q = static_cast<std::size_t>(std::countr_zero(f));
        cost[q] = std::min(cost[q], cost[p] + ((digit_only >> q & 1U) != 0 ? 1U : 0U));
      }
    }
  }
  std::uint32_t min_digits = kFar;
  for (std::uint64_t m = whole.last; m != 0; m &= m - 1) {
    min_digits = std::min(min_digits, cost[static_cast<std::size_t>(std::countr_zero(m))]);
  }
  // The widest match, when no position repeats; else only the row's alphabet bounds it.
  bool cyclic = false;
  for (std::size_t p = 0; p < n; ++p) {
    cyclic = cyclic || (reach(a.follow, a.follow[p], all) >> p & 1U) != 0;
  }
  const std::array<std::uint32_t, kMaxRowPositions> longest_all =
      cyclic ? std::array<std::uint32_t, kMaxRowPositions>{} : longestPaths(a.follow, all, n);
  std::uint32_t widest = cyclic ? kFar : 0;
  for (std::uint64_t m = whole.first; m != 0 && !cyclic; m &= m - 1) {
    widest = std::max(widest, longest_all[static_cast<std::size_t>(std::countr_zero(m))]);
  }

  // Fewest digit runs a match's digit-only bytes fall into: a new one after each position that
  // cannot hold a digit. (A position that may hold either keeps the count, which can only
  // undercount.)
  std::array<std::array<std::uint32_t, 2>, kMaxRowPositions> runs_to{};
  for (auto& pair : runs_to) {
    pair = {kFar, kFar};
  }
  for (std::size_t p = 0; p < n; ++p) {
    if ((whole.first >> p & 1U) != 0) {
      if ((digit_only >> p & 1U) != 0) {
        runs_to[p][0] = 1;
      } else {
        runs_to[p][1] = 0; // the next digit-only position opens a run
      }
    }
  }
  for (std::size_t round = 0; round < 2 * n; ++round) {
    for (std::size_t p = 0; p < n; ++p) {
      for (int gap_seen = 0; gap_seen < 2; ++gap_seen) {
        const std::uint32_t here = runs_to[p][static_cast<std::size_t>(gap_seen)];
        if (here >= kFar) {
          continue;
        }
        for (std::uint64_t f = a.follow[p]; f != 0; f &= f - 1) {
          const auto q = static_cast<std::size_t>(std::countr_zero(f));
          ByteSet masked = a.sets[q];
          for (std::size_t w = 0; w < masked.size(); ++w) {
            masked[w] &= digits[w];
          }
          std::uint32_t cost_q = here;
          int seen_q = gap_seen;
          if ((digit_only >> q & 1U) != 0) {
            cost_q += gap_seen != 0 ? 1 : 0;
            seen_q = 0;
          } else if (masked == ByteSet{}) {
            seen_q = 1;
          }
          std::uint32_t& slot = runs_to[q][static_cast<std::size_t>(seen_q)];
          slot = std::min(slot, cost_q);
        }
      }
    }
  }
  std::uint32_t min_runs = kFar;
  for (std::uint64_t m = whole.last; m != 0; m &= m - 1) {
    const auto p = static_cast<std::size_t>(std::countr_zero(m));
    min_runs = std::min({min_runs, runs_to[p][0], runs_to[p][1]});
  }
  min_runs = std::max<std::uint32_t>(min_runs, 1);
  // Shortest match: fewest positions on a path from a start to an end.
  std::array<std::uint32_t, kMaxRowPositions> hops{};
  hops.fill(kFar);
  for (std::uint64_t m = whole.first; m != 0; m &= m - 1) {
    hops[static_cast<std::size_t>(std::countr_zero(m))] = 1;
  }
  for (std::size_t round = 0; round < n; ++round) {
    for (std::size_t p = 0; p < n; ++p) {
      for (std::uint64_t f = a.follow[p]; f != 0; f &= f - 1) {
        const auto q = static_cast<std::size_t>(std::countr_zero(f));
        hops[q] = std::min(hops[q], hops[p] + 1);
      }
    }
  }
  std::uint32_t min_width = kFar;
  for (std::uint64_t m = whole.last; m != 0; m &= m - 1) {
    min_width = std::min(min_width, hops[static_cast<std::size_t>(std::countr_zero(m))]);
  }

  // Which runs can hold the first (last) digit-only byte of a match the classifier keeps: one
  // after (before) a byte of the lead (trail), or, when the match may start (end) with that
  // byte, one whose edge the classifier accepts. When that edge may be a digit, the byte may lie
  // inside a run and every run qualifies. A lead (trail) that is never shorter than two bytes
  // is checked on its second byte too.
  const bool lead_empty = (whole.first & digit_only) != 0;
  const bool end_on_digit = (whole.last & digit_only) != 0;
  EdgeSet lead_edge = codesOf(before_digit);
  EdgeSet empty_edge;
  if (lead_empty) {
    empty_edge = start_ok;
  }
  EdgeSet trail_edge = codesOf(after_last);
  EdgeSet end_edge;
  if (end_on_digit) {
    end_edge = end_ok;
  }
  ByteSet lead_second{};
  bool check_lead_second = (leads & whole.first) == 0 && !anyAnchorCode(lead_edge, digits);
  for (std::uint64_t m = reach(a.follow, whole.first & other, other); m != 0; m &= m - 1) {
    const auto p = static_cast<std::size_t>(std::countr_zero(m));
    if ((a.follow[p] & leads) != 0) {
      addAll(lead_second, a.sets[p]);
    }
  }
  const std::uint64_t trail_first = after_digit & towards_end;
  ByteSet trail_second{};
  bool check_trail_second = (trail_first & whole.last) == 0 && !anyAnchorCode(trail_edge, digits);
  for (std::uint64_t m = trail_first; m != 0; m &= m - 1) {
    const auto p = static_cast<std::size_t>(std::countr_zero(m));
    for (std::uint64_t f = a.follow[p] & other & towards_end; f != 0; f &= f - 1) {
      addAll(trail_second, a.sets[static_cast<std::size_t>(std::countr_zero(f))]);
    }
  }
  if (anyAnchorCode(lead_edge, digits) || anyAnchorCode(empty_edge, digits)) {
    lead_edge.set();
    empty_edge.set();
    check_lead_second = false;
  }
  if (anyAnchorCode(trail_edge, digits) || anyAnchorCode(end_edge, digits)) {
    trail_edge.set();
    end_edge.set();
    check_trail_second = false;
  }

  const std::uint64_t bit = std::uint64_t{1} << rows_.size();
  for (std::size_t c = 0; c < kEdgeCodes; ++c) {
    lead_anchors_[c] |= lead_edge[c] ? bit : 0;
    empty_anchors_[c] |= empty_edge[c] ? bit : 0;
    trail_enders_[c] |= trail_edge[c] ? bit : 0;
    end_enders_[c] |= end_edge[c] ? bit : 0;
  }
  for (unsigned c = 0; c < 257; ++c) {
    const bool lead_ok =
        !check_lead_second || c == 256 || hasByte(lead_second, static_cast<unsigned char>(c));
    const bool trail_ok =
        !check_trail_second || c == 256 || hasByte(trail_second, static_cast<unsigned char>(c));
    lead_second_[c] |= lead_ok ? bit : 0;
    trail_second_[c] |= trail_ok ? bit : 0;
  }
  // The lengths and the first and last bytes a run may have as the first run of a chain (the
  // stretch of digits holding a match's first digit-only byte), as its last, or as one between.
  // The whole run is that stretch only when a match can neither start nor end next to a digit;
  // otherwise the first and last runs are not checked. Runs between are always whole stretches.
  const std::uint64_t cap = [&] {
    std::uint64_t found = 0;
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t w = 0; w < digits.size(); ++w) {
        if ((a.sets[p][w] & digits[w]) != 0) {
          found |= std::uint64_t{1} << p;
        }
      }
    }
    return found;
  }();
  const auto followers = [&](std::uint64_t of) {
    std::uint64_t found = 0;
    for (std::uint64_t m = of; m != 0; m &= m - 1) {
      found |= a.follow[static_cast<std::size_t>(std::countr_zero(m))];
    }
    return found;
  };
  const auto predecessors = [&](std::uint64_t of) {
    std::uint64_t found = 0;
    for (std::size_t p = 0; p < n; ++p) {
      if ((a.follow[p] & of) != 0) {
        found |= std::uint64_t{1} << p;
      }
    }
    return found;
  };
  // A stretch starts at the match's start or after a position that may hold another byte, and
  // ends likewise. The first one holding a digit-only byte has only other positions before it
  // (from the start); the last one has a way to an end through other positions after it.
  const std::uint64_t any_start = whole.first | followers(other);
  const std::uint64_t any_end = whole.last | predecessors(other);
  const std::uint64_t first_start =
      whole.first | followers(reach(a.follow, whole.first & other, other));
  const std::uint64_t last_end = whole.last | predecessors(towards_end);
  const StretchShape middle = stretches(a, n, cap, any_start, any_end, cap, digits);
  const StretchShape opening = stretches(a, n, cap, first_start, any_end, digit_only, digits);
  const StretchShape closing = stretches(a, n, cap, any_start, last_end, digit_only, digits);
  const bool whole_runs = !anyAnchorCode(start_ok, digits) && !anyAnchorCode(end_ok, digits);
  // When a match may start or end inside a run, its first (last) stretch is only a part of the
  // run: the run is at least as long as the shortest such stretch.
  bool opening_fits = false;
  bool closing_fits = false;
  for (std::size_t len = 0; len <= kStretchCap; ++len) {
    opening_fits = opening_fits || opening.lengths[len];
    closing_fits = closing_fits || closing.lengths[len];
    middle_length_[len] |= middle.lengths[len] ? bit : 0;
    opening_length_[len] |= (whole_runs ? opening.lengths[len] : opening_fits) ? bit : 0;
    closing_length_[len] |= (whole_runs ? closing.lengths[len] : closing_fits) ? bit : 0;
  }
  for (unsigned c = 0; c < 256; ++c) {
    const auto byte = static_cast<unsigned char>(c);
    opening_byte_[c] |= !whole_runs || hasByte(opening.first_bytes, byte) ? bit : 0;
    closing_byte_[c] |= !whole_runs || hasByte(closing.last_bytes, byte) ? bit : 0;
  }
  for (std::size_t k = std::min<std::size_t>(min_runs, runs_enough_.size() - 1);
       k < runs_enough_.size(); ++k) {
    runs_enough_[k] |= bit;
  }
  for (unsigned c = 0; c < 256; ++c) {
    if (hasByte(inner_bytes, static_cast<unsigned char>(c))) {
      inner_[c] |= bit;
    }
  }
  for (std::uint32_t len = 1; len <= gap && len < gap_at_least_.size(); ++len) {
    gap_at_least_[len] |= bit;
  }
  for (std::size_t d = std::min<std::size_t>(min_digits, digits_enough_.size() - 1);
       d < digits_enough_.size(); ++d) {
    digits_enough_[d] |= bit;
  }
  widest_gap_ = std::max(widest_gap_, gap);

  Row row;
  row.reach = digits;
  row.id = id;
  row.first = whole.first;
  row.last = whole.last;
  row.trail = trail;
  row.widest = widest;
  row.end_ok = end_ok;
  row.min_width = min_width;
  for (std::size_t p = 0; p < n; ++p) {
    // Most positions lead only to the next one (a sequence): those step by a shift.
    const std::uint64_t next = p + 1 < n ? std::uint64_t{1} << (p + 1) : 0;
    if (a.follow[p] == next && next != 0) {
      row.to_next |= std::uint64_t{1} << p;
    } else if (a.follow[p] != 0) {
      row.branching |= std::uint64_t{1} << p;
    }
    row.follow[p] = a.follow[p];
    addAll(row.alphabet, a.sets[p]);
    addAll(row.reach, a.sets[p]);
    for (unsigned c = 0; c < 256; ++c) {
      if (hasByte(a.sets[p], static_cast<unsigned char>(c))) {
        row.on_byte[c] |= std::uint64_t{1} << p;
      }
    }
  }
  const bool alnum_only = isSubset(row.reach, alnumSet());
  alnum_rows_ |= alnum_only ? bit : 0;
  for (std::size_t width = 0; width < alnum_wide_enough_.size(); ++width) {
    const bool wide_enough =
        !alnum_only || min_width <= width || width + 1 == alnum_wide_enough_.size();
    alnum_wide_enough_[width] |= wide_enough ? bit : 0;
  }
  buildDfa(row);
  rows_.push_back(std::move(row));
  return true;
}

namespace {

/// The subset construction both of a row's DFAs share. State 0 is the empty set; state `seed`'s
/// successors are `seed_next` (the forward DFA's seed is state 0 itself, whose successors are the
/// row's first positions; the reverse DFA's is state 1, before a match's last byte), every other
/// state's are `successors(set)`. Per state and class: the next state times two, plus one when
/// it holds a position of `marked`. False, and `table` unfinished, past kMaxDfaStates states.
template <typename Successors>
bool subsetTable(std::span<const std::uint64_t> class_positions, std::size_t seed,
                 std::uint64_t seed_next, Successors successors, std::uint64_t marked,
                 std::size_t max_states, std::vector<std::uint16_t>& table) {
  std::vector<std::uint64_t> states(seed + 1, 0);
  std::unordered_map<std::uint64_t, std::uint16_t> index{{0, 0}};
  table.reserve(class_positions.size() * 16);
  for (std::size_t state = 0; state < states.size(); ++state) {
    const std::uint64_t next = state == seed ? seed_next : successors(states[state]);
    for (const std::uint64_t positions : class_positions) {
      const std::uint64_t target = next & positions;
      auto [it, fresh] = index.try_emplace(target, static_cast<std::uint16_t>(states.size()));
      if (fresh) {
        if (states.size() >= max_states) {
          return false;
        }
        states.push_back(target);
      }
      table.push_back(
          static_cast<std::uint16_t>(it->second * 2U + ((target & marked) != 0 ? 1U : 0U)));
    }
  }
  return true;
}

} // namespace

void DigitRows::buildDfa(Row& row) {
  std::vector<std::uint64_t> class_positions;
  for (unsigned c = 0; c < 256; ++c) {
    const auto found = std::find(class_positions.begin(), class_positions.end(), row.on_byte[c]);
    row.byte_class[c] = static_cast<std::uint8_t>(found - class_positions.begin());
    if (found == class_positions.end()) {
      class_positions.push_back(row.on_byte[c]);
    }
  }
  row.classes = static_cast<std::uint32_t>(class_positions.size());
  const auto forward = [&](std::uint64_t live) {
    std::uint64_t next = ((live & row.to_next) << 1U) | row.first;
    for (std::uint64_t m = live & row.branching; m != 0; m &= m - 1) {
      next |= row.follow[static_cast<std::size_t>(std::countr_zero(m))];
    }
    return next;
  };
  std::vector<std::uint16_t> table;
  if (!subsetTable(class_positions, 0, row.first, forward, row.last, kMaxDfaStates, table)) {
    return; // row.dfa stays empty
  }
  row.dfa = std::move(table);
  if (row.widest > kMaxRowPositions) {
    return; // a loop: the threads find the starts
  }
  std::array<std::uint64_t, kMaxRowPositions> predecessors{};
  for (std::size_t p = 0; p < kMaxRowPositions; ++p) {
    for (std::uint64_t m = row.follow[p]; m != 0; m &= m - 1) {
      predecessors[static_cast<std::size_t>(std::countr_zero(m))] |= std::uint64_t{1} << p;
    }
  }
  const auto backward = [&](std::uint64_t live) {
    std::uint64_t next = 0;
    for (std::uint64_t m = live; m != 0; m &= m - 1) {
      next |= predecessors[static_cast<std::size_t>(std::countr_zero(m))];
    }
    return next;
  };
  std::vector<std::uint16_t> back_table;
  if (subsetTable(class_positions, 1, row.last, backward, row.first, kMaxDfaStates, back_table)) {
    row.reverse_dfa = std::move(back_table); // else the threads find the starts
  }
}

void DigitRows::scan(const unsigned char* data, std::size_t size, DigitScratch& work,
                     std::vector<RowMatch>& out) const {
  std::vector<DigitRun>& runs = work.runs;
  // First only where runs open and close, written without a branch per bound (the loop stays
  // tight); the runs and their edges after.
  std::vector<std::uint32_t>& bounds = work.bounds;
  std::size_t count = 0;
  const auto make_room = [&](std::size_t more) {
    if (count + more > bounds.size()) {
      bounds.resize(std::max<std::size_t>(256, 2 * bounds.size() + more));
    }
  };
  std::size_t i = 0;
  bool in_run = false;
  if (anchor_range_ && anchor_first_ == anchor_last_) {
    // One anchor byte (':'), rare in prose: memchr skips to each run faster than blocks do.
    const auto* const end = data + size;
    for (const auto* at = data; at < end;) {
      const auto* found = static_cast<const unsigned char*>(
          std::memchr(at, anchor_first_, static_cast<std::size_t>(end - at)));
      if (found == nullptr) {
        break;
      }
      const auto* past = found;
      while (past < end && *past == anchor_first_) {
        ++past;
      }
      make_room(2);
      bounds[count++] = static_cast<std::uint32_t>(found - data);
      bounds[count++] = static_cast<std::uint32_t>(past - data);
      at = past;
    }
    i = size;
  }
#if defined(__SSE2__)
  // Sixteen bytes at a time when the anchor bytes are one range: where a block's bytes switch
  // between anchor and other, a run opens or closes.
  if (anchor_range_ && i < size) {
    const __m128i shift = _mm_set1_epi8(static_cast<char>(0x80 - anchor_first_));
    const __m128i limit = _mm_set1_epi8(static_cast<char>(0x80 + anchor_last_ - anchor_first_ + 1));
    for (; i + 16 <= size; i += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const auto in = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(bytes, shift), limit)));
      unsigned flips = (in ^ ((in << 1U) | (in_run ? 1U : 0U))) & 0xFFFFU;
      if (flips != 0) {
        make_room(16);
        std::uint32_t* bound = bounds.data() + count;
        for (; flips != 0; flips &= flips - 1) {
          *bound++ = static_cast<std::uint32_t>(i + static_cast<unsigned>(std::countr_zero(flips)));
        }
        count = static_cast<std::size_t>(bound - bounds.data());
      }
      in_run = (in >> 15U & 1U) != 0;
    }
  }
#endif
  for (; i < size; ++i) {
    const bool in = is_anchor_[data[i]];
    if (in != in_run) {
      make_room(1);
      bounds[count++] = static_cast<std::uint32_t>(i);
    }
    in_run = in;
  }
  if (in_run) {
    make_room(1);
    bounds[count++] = static_cast<std::uint32_t>(size);
  }
  runs.resize(count / 2);
  // Most edges are their byte: only a '.' or '-' needs the byte beyond it.
  const auto plain = [](unsigned char c) { return c != '.' && c != '-'; };
  for (std::size_t r = 0; r < runs.size(); ++r) {
    DigitRun& run = runs[r];
    const std::size_t start = bounds[2 * r];
    const std::size_t end = bounds[2 * r + 1];
    run.start = static_cast<std::uint32_t>(start);
    run.end = static_cast<std::uint32_t>(end);
    run.joins = 0;
    if (start == 0) {
      run.before = kEdgeText;
    } else if (plain(data[start - 1])) {
      run.before = data[start - 1];
    } else {
      run.before = edgeCode(data[start - 1], start >= 2 ? data[start - 2] : -1);
    }
    if (end == size) {
      run.after = kEdgeText;
    } else if (plain(data[end])) {
      run.after = data[end];
    } else {
      run.after = edgeCode(data[end], end + 1 < size ? data[end + 1] : -1);
    }
  }
  matchRuns(data, size, work, out);
}

void DigitRows::matchRuns(const unsigned char* data, std::size_t size, DigitScratch& work,
                          std::vector<RowMatch>& out) const {
  if (rows_.empty()) {
    return;
  }
  std::vector<DigitRun>& runs = work.runs;
  // Which rows' matches may span the gap from each run to the next.
  for (std::size_t r = 0; r + 1 < runs.size(); ++r) {
    const std::uint32_t len = runs[r + 1].start - runs[r].end;
    if (len > widest_gap_ || len >= gap_at_least_.size()) {
      continue;
    }
    std::uint64_t joins = gap_at_least_[len];
    for (std::uint32_t k = runs[r].end; k < runs[r + 1].start && joins != 0; ++k) {
      joins &= inner_[data[k]];
    }
    runs[r].joins = joins;
  }
  // Per row, the open window of match ends (from, to]: every end of a kept match lies in one.
  struct Window {
    std::uint32_t from = 0;
    std::uint32_t to = 0;
  };
  std::array<Window, kMaxDigitRows> windows{};
  std::uint64_t open = 0;
  std::uint32_t stretch_begin = 0; // the last stretch of letters and digits walked
  std::uint32_t stretch_end = 0;
  for (std::size_t first = 0; first < runs.size(); ++first) {
    const std::uint32_t at = runs[first].start;
    std::uint64_t alive =
        ((lead_anchors_[runs[first].before] & lead_second_[at >= 2 ? data[at - 2] : 256U]) |
         empty_anchors_[runs[first].before]) &
        opening_length_[std::min<std::size_t>(runs[first].end - at, kStretchCap)] &
        opening_byte_[data[at]];
    // A match of a letters-and-digits row lies in the stretch of such bytes around its digits.
    // Most runs have no letter beside them; the stretch of the others is walked once for all
    // the runs in it (a walk cut at kCap bytes is wide enough for every row anyway).
    if ((alive & alnum_rows_) != 0) {
      constexpr auto kCap = static_cast<std::uint32_t>(kStretchCap);
      const std::uint32_t run_end = runs[first].end;
      std::uint32_t stretch = run_end - at;
      if (stretch < kCap && (alnumEdge(runs[first].before) || alnumEdge(runs[first].after))) {
        if (at < stretch_begin || run_end > stretch_end) {
          stretch_begin = at;
          while (stretch_begin > 0 && at - stretch_begin < kCap &&
                 hasByte(kAlnumBytes, data[stretch_begin - 1])) {
            --stretch_begin;
          }
          stretch_end = run_end;
          while (stretch_end < size && stretch_end - run_end < kCap &&
                 hasByte(kAlnumBytes, data[stretch_end])) {
            ++stretch_end;
          }
        }
        stretch = stretch_end - stretch_begin;
      }
      alive &= alnum_wide_enough_[std::min(stretch, kCap)];
    }
    std::uint32_t digits = 0;
    for (std::size_t r = first; alive != 0; ++r) {
      const std::uint32_t past = runs[r].end;
      const std::uint32_t length = runs[r].end - runs[r].start;
      digits += length;
      const std::uint64_t ends =
          ((trail_enders_[runs[r].after] & trail_second_[past + 1 < size ? data[past + 1] : 256U]) |
           end_enders_[runs[r].after]) &
          closing_length_[std::min<std::size_t>(length, kStretchCap)] &
          closing_byte_[data[past - 1]];
      std::uint64_t ready =
          alive & ends & digits_enough_[std::min<std::size_t>(digits, digits_enough_.size() - 1)] &
          runs_enough_[std::min<std::size_t>(r - first + 1, runs_enough_.size() - 1)];
      for (; ready != 0; ready &= ready - 1) {
        const auto index = static_cast<std::size_t>(std::countr_zero(ready));
        const Row& row = rows_[index];
        const std::uint32_t from = runs[first].start;
        const auto to = static_cast<std::uint32_t>(
            std::min<std::size_t>(size, std::size_t{runs[r].end} + row.trail));
        // A match lies in one stretch of the row's bytes, at least min_width long.
        std::uint32_t width = past - from;
        for (std::uint32_t k = from; k > 0 && from - k < row.widest && width < row.min_width &&
                                     hasByte(row.reach, data[k - 1]);
             --k) {
          ++width;
        }
        for (std::uint32_t k = past; k < to && width < row.min_width && hasByte(row.reach, data[k]);
             ++k) {
          ++width;
        }
        if (width < row.min_width) {
          continue;
        }
        Window& window = windows[index];
        const std::uint64_t bit = std::uint64_t{1} << index;
        if ((open & bit) != 0 && from < window.to) {
          window.to = std::max(window.to, to);
          continue;
        }
        if ((open & bit) != 0) {
          runRow(row, data, size, window.from, window.to, out);
        }
        window = Window{from, to};
        open |= bit;
      }
      if (r + 1 == runs.size()) {
        break;
      }
      // Run r lies between the first and the last of any longer chain.
      alive &=
          runs[r].joins & (r == first ? ~std::uint64_t{0}
                                      : middle_length_[std::min<std::size_t>(length, kStretchCap)]);
    }
  }
  for (; open != 0; open &= open - 1) {
    const auto index = static_cast<std::size_t>(std::countr_zero(open));
    runRow(rows_[index], data, size, windows[index].from, windows[index].to, out);
  }
}

void DigitRows::runRow(const Row& row, const unsigned char* data, std::size_t size,
                       std::uint32_t from, std::uint32_t to, std::vector<RowMatch>& out) {
  // Matches ending after `from` may start before it: as far back as the widest match, over the
  // row's own bytes.
  std::uint32_t begin = from;
  while (begin > 0 && from - begin < row.widest && hasByte(row.alphabet, data[begin - 1])) {
    --begin;
  }
  const auto end_ok = [&](std::uint32_t i) {
    return row
        .end_ok[i + 1 == size ? kEdgeText : edgeCode(data[i + 1], i + 2 < size ? data[i + 2] : -1)];
  };
  if (!row.reverse_dfa.empty()) {
    // Each end the caller keeps, from the DFA forwards; its leftmost start, from the reverse DFA
    // backwards (as far as the widest match, as the row has no loop).
    std::uint32_t state = 0;
    for (std::uint32_t i = begin; i < to; ++i) {
      const std::uint16_t entry = row.dfa[state * row.classes + row.byte_class[data[i]]];
      state = entry >> 1U;
      if ((entry & 1U) == 0 || i + 1 <= from || !end_ok(i)) {
        continue;
      }
      std::uint32_t back = 1;
      std::uint32_t start = i;
      for (std::uint32_t k = i + 1; k > begin; --k) {
        const std::uint16_t step =
            row.reverse_dfa[back * row.classes + row.byte_class[data[k - 1]]];
        back = step >> 1U;
        if (back == 0) {
          break;
        }
        if ((step & 1U) != 0) {
          start = k - 1;
        }
      }
      out.push_back(RowMatch{row.id, start, i + 1});
    }
    return;
  }
  // Most windows hold no match. One pass with the threads merged (the DFA, or the plain position
  // set: one table lookup and a shift per byte) tells whether any end the caller keeps lies in
  // the window; only then are the threads run for each end's leftmost start.
  bool any_end = false;
  if (!row.dfa.empty()) {
    std::uint32_t state = 0;
    for (std::uint32_t i = begin; i < to && !any_end; ++i) {
      const std::uint16_t entry = row.dfa[state * row.classes + row.byte_class[data[i]]];
      state = entry >> 1U;
      any_end = (entry & 1U) != 0 && i + 1 > from && end_ok(i);
    }
  } else {
    std::uint64_t merged = 0;
    for (std::uint32_t i = begin; i < to && !any_end; ++i) {
      std::uint64_t next = (merged & row.to_next) << 1U;
      for (std::uint64_t m = merged & row.branching; m != 0; m &= m - 1) {
        next |= row.follow[static_cast<std::size_t>(std::countr_zero(m))];
      }
      merged = (next | row.first) & row.on_byte[data[i]];
      any_end = i + 1 > from && (row.last & merged) != 0 && end_ok(i);
    }
  }
  if (!any_end) {
    return;
  }
  // Threads of the automaton, oldest start first, each with the positions it alone reaches: a
  // position reached from an earlier start is dropped from later threads, since Hyperscan
  // reports the leftmost start of a match and whatever follows that position is the same.
  struct Thread {
    std::uint32_t start;
    std::uint64_t live;
  };
  // Not zeroed: only the first `count` are ever read, and a window is often a few bytes.
  std::array<Thread, kMaxRowPositions> threads;
  std::size_t count = 0;
  for (std::uint32_t i = begin; i < to; ++i) {
    const std::uint64_t on = row.on_byte[data[i]];
    std::uint64_t claimed = 0;
    std::size_t kept = 0;
    for (std::size_t t = 0; t < count; ++t) {
      const std::uint64_t live = threads[t].live;
      std::uint64_t next = (live & row.to_next) << 1U;
      for (std::uint64_t m = live & row.branching; m != 0; m &= m - 1) {
        next |= row.follow[static_cast<std::size_t>(std::countr_zero(m))];
      }
      next &= on & ~claimed;
      if (next != 0) {
        claimed |= next;
        threads[kept++] = Thread{threads[t].start, next};
      }
    }
    const std::uint64_t fresh = row.first & on & ~claimed;
    if (fresh != 0) {
      threads[kept++] = Thread{i, fresh};
    }
    count = kept;
    // An end the caller would refuse is not reported at all.
    if (i + 1 > from && (row.last & (claimed | fresh)) != 0 && end_ok(i)) {
      for (std::size_t t = 0; t < count; ++t) {
        if ((threads[t].live & row.last) != 0) {
          out.push_back(RowMatch{row.id, threads[t].start, i + 1});
          break;
        }
      }
    }
  }
}

} // namespace cordon::classify
