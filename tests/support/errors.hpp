// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Error messages under test: the message of the exception a call must throw, and the
/// number a message gives after a word ("block 12"). Throw only std::bad_alloc (and what
/// the called function throws that is not a std::exception); thread-safe.

#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>

namespace dashi_test {

/// Runs `f`, expects it to throw an `E` and returns the exception's `what()`. Records a
/// test failure and returns an empty string when `f` throws another std::exception or
/// nothing.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
  return {};
}

/// The number written right after `word + " "` in `text`, if any (e.g. "block 12").
inline std::optional<std::size_t> number_after(const std::string& text, const std::string& word) {
  const std::string key = word + " ";
  std::size_t pos = text.find(key);
  while (pos != std::string::npos) {
    const std::size_t start = pos + key.size();
    std::size_t end = start;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      ++end;
    }
    if (end > start) {
      return static_cast<std::size_t>(std::stoull(text.substr(start, end - start)));
    }
    pos = text.find(key, pos + 1);
  }
  return std::nullopt;
}

}  // namespace dashi_test
