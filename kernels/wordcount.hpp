// The counting core of the wordcount kernel, usable on its own (tests, benchmarks, exercises).
//
// Tokenisation (stated once, here, and used by every function below):
//   Tokenizer::Whitespace  a word is a maximal run of bytes that are not ASCII whitespace
//                          (space, \t, \n, \v, \f, \r) — exactly Python's bytes.split(), and
//                          str.split() on ASCII text except that str.split() also splits at
//                          the control bytes 0x1C-0x1F. NUL and bytes >= 0x80 are word bytes.
//   Tokenizer::Alpha       a word is a maximal run of ASCII letters [A-Za-z]; every other byte
//                          (digits, punctuation, NUL, bytes >= 0x80) separates words.
//   fold_case              words and targets are compared ASCII-case-insensitively (both are
//                          lowercased; only A-Z change).
//
// Chunking rule: a word belongs to the chunk in which it STARTS. count_words() therefore
// needs to know whether the byte before its range is a word byte (is the range's first
// byte a continuation?) and needs to see up to Matcher::tail_bytes() bytes past the range
// to finish matching a target that starts inside the range and runs past its end. Given
// that, summing count_words over any partition of a text into ranges gives exactly the
// counts of one pass over the whole text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parsweep::wordcount {

enum class Tokenizer { Whitespace, Alpha };

// "whitespace" / "alpha", or nullopt for anything else.
std::optional<Tokenizer> parse_tokenizer(std::string_view name);
std::string_view to_string(Tokenizer tokenizer);

// Whether byte `c` belongs to a word under `tokenizer`.
bool is_word_byte(Tokenizer tokenizer, unsigned char c);

// Why `word` can never be counted as a target under `tokenizer` (empty, or containing a
// byte that splits words), or nullopt when it is a valid single token.
std::optional<std::string> target_problem(std::string_view word, Tokenizer tokenizer);

// Counts of target words, in the Matcher's target order, and of all words.
struct WordCounts {
    std::vector<std::uint64_t> per_target;
    std::uint64_t total_words = 0;  // every word, whatever its length or whether it is a target

    // Adds other's counts (same target list).
    WordCounts& operator+=(const WordCounts& other);
    bool operator==(const WordCounts&) const = default;
};

// The target words and the tables the counting core uses; immutable once built, so one
// Matcher is shared by all threads.
class Matcher {
  public:
    // Throws std::invalid_argument naming the word when a target is not a valid single token
    // (see target_problem) or repeats another target (after folding when fold_case).
    Matcher(std::vector<std::string> targets, Tokenizer tokenizer, bool fold_case);

    const std::vector<std::string>& targets() const { return targets_; }  // as given
    std::size_t target_count() const { return targets_.size(); }
    Tokenizer tokenizer() const { return tokenizer_; }
    bool fold_case() const { return fold_case_; }
    // Length of the longest target, in bytes.
    std::size_t max_target_bytes() const { return max_target_bytes_; }
    // Bytes that count_words must see past the end of its range (max target length + 1):
    // enough to finish matching any target that starts in the range.
    std::size_t tail_bytes() const { return max_target_bytes_ + 1; }
    bool is_word(unsigned char c) const { return word_[c] != 0; }
    // All-zero counts for this target list.
    WordCounts zero_counts() const;

  private:
    friend struct MatcherAccess;  // the counting core in wordcount.cpp

    std::vector<std::string> targets_;  // as given
    std::vector<std::string> folded_;   // as compared (lowercased when fold_case)
    Tokenizer tokenizer_;
    bool fold_case_;
    std::size_t max_target_bytes_ = 0;
    std::array<unsigned char, 256> word_{};  // 1: byte belongs to a word
    std::array<unsigned char, 256> fold_{};  // byte as compared (identity unless fold_case)
    // Targets whose first byte, as compared, equals fold_[c]: indices
    // by_first_[first_[c] .. first_[c + 1]) (CSR layout over the raw byte c).
    std::array<std::uint32_t, 257> first_{};
    std::vector<std::uint32_t> by_first_;
    // Raw first bytes that can start a target, grouped for the SIMD filter: a byte v is a
    // candidate when (v | start_or_[k]) == start_eq_[k] for some k < start_groups_;
    // start_groups_ == 0 means "too many to filter with SIMD, use the table".
    // For targets of at most 7 bytes, an 8-byte compare: the word at q matches target t when
    // ((load8(q) | probe.or_mask) & probe.care) == probe.value and q[len] is not a word byte.
    struct Probe {
        std::uint64_t value = 0, care = 0, or_mask = 0;
        std::uint32_t len = 0;
        bool fits = false;  // len <= 7
    };
    std::vector<Probe> probes_;  // one per target
    std::array<unsigned char, 8> start_eq_{};
    std::array<unsigned char, 8> start_or_{};
    std::size_t start_groups_ = 0;
};

// Counts the words that START in [begin, end) of `buf`, adding to `counts` (which must have
// matcher.target_count() entries). `prev_is_word` says whether the byte just before
// buf[begin] is a word byte (false at the start of the text). `buf` must extend at least
// matcher.max_target_bytes() bytes past `end`, or else end where the text ends: the end of
// `buf` is taken as the end of the text. Allocates nothing.
void add_word_counts(std::string_view buf, std::size_t begin, std::size_t end, bool prev_is_word,
                     const Matcher& matcher, WordCounts& counts);

// The same, returning fresh counts.
WordCounts count_words(std::string_view buf, std::size_t begin, std::size_t end, bool prev_is_word,
                       const Matcher& matcher);

// The portable byte-at-a-time implementation of add_word_counts (byte-class table, a
// branch only at word starts). add_word_counts uses SSE2 where available and must agree
// with this exactly; the tests compare them.
void add_word_counts_scalar(std::string_view buf, std::size_t begin, std::size_t end,
                            bool prev_is_word, const Matcher& matcher, WordCounts& counts);

// The one-pass serial reference: deliberately independent of the above and simple — walks
// `text` once building each word as a std::string, folds it if asked, and looks it up in a
// std::map. Used by the kernel's verify() and by tests. `targets` as for Matcher (not
// re-validated: an invalid target simply never matches).
// The size of a file in bytes; throws std::runtime_error naming the file.
std::uint64_t file_size(const std::string& path);

// How many chunks of `chunk_bytes` a text of `size` bytes is read in (the last one short).
std::uint64_t chunk_count(std::uint64_t size, std::uint64_t chunk_bytes);

// What is wrong with a list of target words: a word that is not one token under the
// tokenizer (target_problem), or one that repeats another (ignoring case with fold_case).
// Empty when the list is usable.
std::vector<std::string> word_list_problems(const std::vector<std::string>& words,
                                            Tokenizer tokenizer, bool fold_case);

WordCounts count_words_reference(std::string_view text, const std::vector<std::string>& targets,
                                 Tokenizer tokenizer, bool fold_case);

}  // namespace parsweep::wordcount
