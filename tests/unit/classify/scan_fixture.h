// A classifier over the built-in table and what it finds in a text, as (type, matched bytes)
// pairs: the shape the table-driven detection tests compare against.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/classify/classifier.h"

namespace cordon::classify {

struct Hit {
  std::string type;
  std::string value;
  friend bool operator==(const Hit&, const Hit&) = default;
};

class ScanTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto built = Classifier::build({});
    ASSERT_TRUE(built.has_value()) << built.error().detail;
    classifier_ = *built;
    scratch_ = classifier_->makeScratch();
    ASSERT_NE(scratch_, nullptr);
  }

  std::vector<Hit> hits(std::string_view text) {
    std::vector<Finding> out;
    EXPECT_TRUE(classifier_->scan(text, *scratch_, out).has_value());
    std::vector<Hit> result;
    result.reserve(out.size());
    for (const Finding& f : out) {
      result.push_back(
          Hit{std::string(f.type), std::string(text.substr(f.start, f.end - f.start))});
    }
    return result;
  }

  /// True when `text` yields a finding of `type` over exactly `value`.
  bool finds(std::string_view text, std::string_view type, std::string_view value) {
    const Hit want{std::string(type), std::string(value)};
    for (const Hit& h : hits(text)) {
      if (h == want) {
        return true;
      }
    }
    return false;
  }

  ClassifierConstSharedPtr classifier_;
  ScratchPtr scratch_;
};

} // namespace cordon::classify
