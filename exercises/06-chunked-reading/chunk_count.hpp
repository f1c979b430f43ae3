// Lesson 06: the function you write, and the two helpers it may use.
//
// count_chunk counts the words of ONE chunk of the text. A word is a maximal run of bytes
// that are not whitespace (space, \t, \n, \v, \f, \r) — Python's split() — compared exactly
// (case matters, "Dog," is not "dog").
//
// What `text` holds (the kernel reads it from the file with one pread):
//   text[begin, end)   the chunk itself;
//   text[0]            the byte just before the chunk, with begin == 1 — except for the
//                      first chunk of the file, which has nothing before it: begin == 0;
//   text[end, size())  bytes after the chunk: at least up to the whitespace that ends a
//                      word running over `end`, or to the end of the file.
// So text.size() is usually larger than `end`: read past `end` to finish a word, never to
// start one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lesson06 {

// Python's whitespace: the bytes between words.
inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The counts of one chunk (or of many, added up).
struct Counts {
    std::vector<std::uint64_t> per_word;  // per_word[i]: how often words[i] was seen
    std::uint64_t total_words = 0;        // every word, target or not

    explicit Counts(std::size_t targets) : per_word(targets, 0) {}
    // Counts one word: total_words + 1, and per_word[i] + 1 when word == words[i].
    void add(std::string_view word, const std::vector<std::string>& words);
    Counts& operator+=(const Counts& other);
};

// Counts the words that belong to the chunk [begin, end) of `text` (see above for what
// `text` holds). Every word of the file must be counted by exactly one chunk.
Counts count_chunk(std::string_view text, std::size_t begin, std::size_t end,
                   const std::vector<std::string>& words);

}  // namespace lesson06
