// Digit-shaped rows (card, phone, date and national-ID formats that start with a character class)
// matched without Hyperscan. Together such rows make Hyperscan run large automata over every byte
// of the text, although each alone is cheap; in prose they can only match around digits. So each
// row is compiled to a small position automaton, and the automaton runs only over the few bytes
// around the digit runs that can hold a match the classifier would keep. The same works for other
// anchor bytes than digits: the IPv6 row is anchored on its colons.
//
// The reports are what Hyperscan gives for the row: an end of a match with the leftmost start
// among the matches that end there. Not every such end is reported, only (at least) every one
// whose match could pass the classifier's whole-token checks at both edges (the caller's
// `start_ok` / `end_ok`); the others would be dropped by those checks anyway. A row is taken only
// when its shape proves that every match lies near its digits: every match holds a byte that only
// a digit can fill, and the runs of other bytes before, between and after those are bounded. Any
// other row stays in Hyperscan.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace cordon::classify {

/// One report: the row's id, the leftmost start and the end of a match.
struct RowMatch {
  std::uint32_t id = 0;
  std::uint32_t start = 0;
  std::uint32_t end = 0;
};

/// What borders a digit run: the byte itself (0-255), or one of these codes.
inline constexpr std::uint16_t kEdgeDotAlnum = 256;  ///< '.' with a letter or digit beyond it
inline constexpr std::uint16_t kEdgeDashAlnum = 257; ///< '-' with a letter or digit beyond it
inline constexpr std::uint16_t kEdgeText = 258;      ///< the start or end of the text
inline constexpr std::size_t kEdgeCodes = 259;

/// For each edge code, whether a candidate may start (or end) next to it.
using EdgeSet = std::bitset<kEdgeCodes>;

/// A maximal run of digits in the scanned text, with what borders it.
struct DigitRun {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  std::uint16_t before = 0; ///< EdgeCode before the run
  std::uint16_t after = 0;  ///< EdgeCode after the run
  std::uint64_t joins = 0;  ///< Rows whose matches may span from this run to the next one.
};

/// Working storage of DigitRows::scan, kept in the classifier's scratch.
struct DigitScratch {
  std::vector<DigitRun> runs;
  std::vector<std::uint32_t> bounds; ///< Where runs open and close, in text order.
};

/// Positions of one row's automaton: at most this many (a bit each in a 64-bit set).
inline constexpr std::size_t kMaxRowPositions = 64;
/// Rows taken: at most this many (a bit each in a 64-bit set).
inline constexpr std::size_t kMaxDigitRows = 64;

class DigitRows {
public:
  /// Rows anchored on digits.
  DigitRows();
  /// Rows anchored on other bytes instead (':' for IPv6): "digit" below means one of these.
  explicit DigitRows(std::string_view anchor_bytes);

  /// Takes the row when its regex is in the supported syntax and its shape bounds every match to
  /// the bytes around its digits (see above); false when it must stay in Hyperscan. `start_ok`
  /// (`end_ok`) tells, per edge code, whether the classifier keeps a candidate that starts
  /// after (ends before) it.
  bool add(std::uint32_t id, std::string_view regex, bool caseless, const EdgeSet& start_ok,
           const EdgeSet& end_ok);

  bool empty() const noexcept { return rows_.empty(); }

  /// Appends the reports of every row over `data` to `out`, in no particular order. Leaves every
  /// maximal run of anchor bytes in `work.runs`, with its edges, also when no row was taken.
  void scan(const unsigned char* data, std::size_t size, DigitScratch& work,
            std::vector<RowMatch>& out) const;

  /// The second half of scan(): the reports of every row over the runs already in `work.runs`
  /// (found by scan() of a DigitRows with the same anchor bytes over the same `data`). For the
  /// rows past the first kMaxDigitRows, which a second DigitRows holds.
  void matchRuns(const unsigned char* data, std::size_t size, DigitScratch& work,
                 std::vector<RowMatch>& out) const;

  /// False when the row set is full (kMaxDigitRows): add() then refuses every row.
  bool hasRoom() const noexcept { return rows_.size() < kMaxDigitRows; }

private:
  using ByteSet = std::array<std::uint64_t, 4>;

  struct Row {
    std::uint32_t id = 0;
    std::uint64_t first = 0; ///< Positions a match can start with.
    std::uint64_t last = 0;  ///< Positions a match can end with.
    std::array<std::uint64_t, kMaxRowPositions> follow{};
    std::uint64_t to_next = 0;                ///< Positions followed by the next position only.
    std::uint64_t branching = 0;              ///< Other positions with a follower (see follow).
    std::array<std::uint64_t, 256> on_byte{}; ///< Positions whose class holds the byte.
    ByteSet alphabet{};                       ///< Every byte the row can match.
    std::uint32_t trail = 0;                  ///< Most bytes after the last digit-only one.
    std::uint32_t widest = 0;                 ///< Most bytes of a match.
    std::uint32_t min_width = 0;              ///< Fewest bytes of a match.
    ByteSet reach{};                          ///< The alphabet and every digit.
    EdgeSet end_ok;                           ///< The caller's `end_ok`.
    /// The bytes in classes that no position tells apart (the same `on_byte`), and the positions
    /// the merged threads can hold as a DFA over them: per state and class, the next state
    /// times two, plus one when it holds an end. State 0 holds nothing. Empty when that would
    /// take more than kMaxDfaStates states; then runRow steps the positions themselves.
    std::array<std::uint8_t, 256> byte_class{};
    std::uint32_t classes = 0;
    std::vector<std::uint16_t> dfa;
    /// The same read backwards from a match's end, for its leftmost start: state 0 holds
    /// nothing, state 1 is before the match's last byte, and the odd entries hold a start. Only
    /// for rows without a loop (their backward walk is as short as their widest match) and
    /// within kMaxDfaStates; else runRow runs threads from the window's start for the starts.
    std::vector<std::uint16_t> reverse_dfa;
  };

  /// Most states of a row's DFA: at most ~30 KB of table per row (the digit rows need a few
  /// dozen to ~600 states), built in well under a millisecond.
  static constexpr std::size_t kMaxDfaStates = 1024;
  static void buildDfa(Row& row);

  /// Reports the row's matches that end in (from, to].
  static void runRow(const Row& row, const unsigned char* data, std::size_t size,
                     std::uint32_t from, std::uint32_t to, std::vector<RowMatch>& out);

  ByteSet anchor_{};
  std::array<bool, 256> is_anchor_{};
  bool anchor_range_ = false; ///< The anchor bytes are anchor_first_ ... anchor_last_.
  unsigned char anchor_first_ = 0;
  unsigned char anchor_last_ = 0;
  std::vector<Row> rows_;
  /// Per edge code before a run: rows whose first digit-only byte may follow a lead there
  /// (`lead_anchors_`), or start a match there (`empty_anchors_`).
  std::array<std::uint64_t, kEdgeCodes> lead_anchors_{};
  std::array<std::uint64_t, kEdgeCodes> empty_anchors_{};
  /// Per byte two before a run (256: none), rows whose lead allows it.
  std::array<std::uint64_t, 257> lead_second_{};
  /// Per edge code after a run: rows whose last digit-only byte may precede a trail there
  /// (`trail_enders_`), or end a match there (`end_enders_`).
  std::array<std::uint64_t, kEdgeCodes> trail_enders_{};
  std::array<std::uint64_t, kEdgeCodes> end_enders_{};
  /// Per byte two after a run (256: none), rows whose trail allows it.
  std::array<std::uint64_t, 257> trail_second_{};
  /// Rows a match of which may span this few digit runs (capped at the last index).
  std::array<std::uint64_t, 8> runs_enough_{};
  /// Rows whose digit-only positions may be further than a run apart, by inner byte.
  std::array<std::uint64_t, 256> inner_{};
  /// Rows whose inner gaps may be this long (index 1 ... kMaxGap).
  std::array<std::uint64_t, 16> gap_at_least_{};
  /// Rows a match of which may hold this few digit-only bytes (capped at the last index).
  std::array<std::uint64_t, 65> digits_enough_{};
  /// Per length of a run (capped at 64), rows whose matches may hold a stretch of digits that
  /// long as their first, last or a middle run; per byte, rows whose first run may start with it
  /// (`opening_byte_`) or last run end with it (`closing_byte_`).
  std::array<std::uint64_t, 65> opening_length_{};
  std::array<std::uint64_t, 65> closing_length_{};
  std::array<std::uint64_t, 65> middle_length_{};
  std::array<std::uint64_t, 256> opening_byte_{};
  std::array<std::uint64_t, 256> closing_byte_{};
  std::uint32_t widest_gap_ = 0;
  /// Rows that match letters and digits only: their matches lie in a stretch of such bytes. Per
  /// width of that stretch (capped at 64), the rows it may hold a match of (every other row at
  /// every width).
  std::uint64_t alnum_rows_ = 0;
  std::array<std::uint64_t, 65> alnum_wide_enough_{};
};

} // namespace cordon::classify
