// Hyperscan as the oracle for the passes that replace some of its rows: every (leftmost start,
// end) it reports for one regex over one text.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>
#include <hs/hs.h>

namespace cordon::classify {

using Span = std::pair<std::uint32_t, std::uint32_t>;

inline int collectSpan(unsigned int /*id*/, unsigned long long from, unsigned long long to,
                       unsigned int /*flags*/, void* user) {
  static_cast<std::set<Span>*>(user)->emplace(static_cast<std::uint32_t>(from),
                                              static_cast<std::uint32_t>(to));
  return 0;
}

inline std::set<Span> hyperscanSpans(std::string_view regex, bool caseless, std::string_view text) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  const unsigned int flags = HS_FLAG_SOM_LEFTMOST | (caseless ? HS_FLAG_CASELESS : 0U);
  std::set<Span> spans;
  if (hs_compile(std::string(regex).c_str(), flags, HS_MODE_BLOCK, nullptr, &db, &error) !=
      HS_SUCCESS) {
    ADD_FAILURE() << regex << ": " << error->message;
    hs_free_compile_error(error);
    return spans;
  }
  hs_scratch_t* scratch = nullptr;
  EXPECT_EQ(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
  EXPECT_EQ(hs_scan(db, text.data(), static_cast<unsigned int>(text.size()), 0, scratch,
                    collectSpan, &spans),
            HS_SUCCESS);
  hs_free_scratch(scratch);
  hs_free_database(db);
  return spans;
}

/// hyperscanSpans for many texts: the regex compiled once.
class HyperscanOracle {
public:
  HyperscanOracle(std::string_view regex, bool caseless) {
    hs_compile_error_t* error = nullptr;
    const unsigned int flags = HS_FLAG_SOM_LEFTMOST | (caseless ? HS_FLAG_CASELESS : 0U);
    if (hs_compile(std::string(regex).c_str(), flags, HS_MODE_BLOCK, nullptr, &db_, &error) !=
        HS_SUCCESS) {
      ADD_FAILURE() << regex << ": " << error->message;
      hs_free_compile_error(error);
      return;
    }
    EXPECT_EQ(hs_alloc_scratch(db_, &scratch_), HS_SUCCESS);
  }
  ~HyperscanOracle() {
    hs_free_scratch(scratch_);
    hs_free_database(db_);
  }
  HyperscanOracle(const HyperscanOracle&) = delete;
  HyperscanOracle& operator=(const HyperscanOracle&) = delete;

  std::set<Span> spans(std::string_view text) const {
    std::set<Span> spans;
    if (db_ != nullptr) {
      EXPECT_EQ(hs_scan(db_, text.data(), static_cast<unsigned int>(text.size()), 0, scratch_,
                        collectSpan, &spans),
                HS_SUCCESS);
    }
    return spans;
  }

private:
  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
};

} // namespace cordon::classify
