/*
 * wordcount — count chosen words (dog, cat, boy, girl by default) and all words in a large
 * text, reading it in chunks (256 KiB by default) that OpenMP threads count in parallel.
 *
 * What it teaches and measures
 *   Chunked I/O: each chunk is read with its own pread() into a per-thread buffer (never an
 *   mmap of the whole file) and counted; chunks are handed out with schedule(dynamic) and
 *   the per-thread counts are combined at the end, so results do not depend on the order in
 *   which chunks finish. The hard part is the boundaries: a word split between two chunks
 *   (or between two worker processes' shares) must count exactly once.
 *
 * The rule: a word belongs to the chunk in which it STARTS. A chunk's read therefore also
 *   takes the one byte before the chunk (is the chunk's first byte the continuation of a
 *   word?) and a bounded tail after it (max target length + 1 bytes: enough to finish
 *   matching a target that starts in the chunk and runs past its end). A word that starts in
 *   the chunk counts in total_words whatever its length. This is exact for any chunk size
 *   down to 1 byte, and across process shares, which are contiguous ranges [begin, end) of
 *   the same global chunk numbering (chunk c is bytes [c·chunk_bytes, (c+1)·chunk_bytes)).
 *
 * Tokenisation (see wordcount.hpp): "whitespace" = maximal runs of non-ASCII-whitespace
 *   bytes (Python's str.split() on ASCII); "alpha" = maximal runs of [A-Za-z]; fold_case
 *   compares ASCII-case-insensitively.
 *
 * Counting: bytes = file size, items = chunks (ceil(size / chunk_bytes); an empty file has
 *   none and is valid: zero counts), flops = 0.
 *
 * Verification: check() confirms each chunk of the batch was read and counted in full
 *   (bytes and chunks); verify() compares the merged counts and total with a one-pass serial
 *   reference written independently and simply (whole file, one std::string per word, a
 *   std::map lookup), computed once per (file, size, mtime, tokenizer, fold_case, words)
 *   and cached for the sweep.
 *
 * Speed: the core classifies 16 bytes at a time with SSE2 (word-byte mask, word starts =
 *   word & ~previous), counts starts with byte adds, and branches only at word starts whose
 *   first byte can begin a target; the portable byte-table loop is the fallback and the
 *   reference the tests compare it with.
 */
#include "wordcount.hpp"

#include <fcntl.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "kernel.hpp"

namespace parsweep::wordcount {

// ---------------------------------------------------------------------------------------
// Tokenisation

namespace {
constexpr bool is_ascii_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
constexpr bool is_ascii_letter(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
constexpr unsigned char ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}
}  // namespace

std::optional<Tokenizer> parse_tokenizer(std::string_view name) {
    if (name == "whitespace") return Tokenizer::Whitespace;
    if (name == "alpha") return Tokenizer::Alpha;
    return std::nullopt;
}

std::string_view to_string(Tokenizer tokenizer) {
    return tokenizer == Tokenizer::Whitespace ? "whitespace" : "alpha";
}

bool is_word_byte(Tokenizer tokenizer, unsigned char c) {
    return tokenizer == Tokenizer::Whitespace ? !is_ascii_space(c) : is_ascii_letter(c);
}

std::optional<std::string> target_problem(std::string_view word, Tokenizer tokenizer) {
    if (word.empty()) return std::string("the empty string is not a word");
    for (std::size_t i = 0; i < word.size(); ++i) {
        const auto c = static_cast<unsigned char>(word[i]);
        if (!is_word_byte(tokenizer, c))
            return fmt::format(
                "\"{}\" is not a single word under tokenizer {}: byte 0x{:02x} at offset {} "
                "separates words, so it could never match",
                word, to_string(tokenizer), c, i);
    }
    return std::nullopt;
}

WordCounts& WordCounts::operator+=(const WordCounts& other) {
    if (per_target.size() < other.per_target.size()) per_target.resize(other.per_target.size());
    for (std::size_t i = 0; i < other.per_target.size(); ++i) per_target[i] += other.per_target[i];
    total_words += other.total_words;
    return *this;
}

// ---------------------------------------------------------------------------------------
// Matcher

Matcher::Matcher(std::vector<std::string> targets, Tokenizer tokenizer, bool fold_case)
    : targets_(std::move(targets)), tokenizer_(tokenizer), fold_case_(fold_case) {
    for (unsigned c = 0; c < 256; ++c) {
        const auto b = static_cast<unsigned char>(c);
        word_[c] = is_word_byte(tokenizer_, b) ? 1 : 0;
        fold_[c] = fold_case_ ? ascii_lower(b) : b;
    }
    std::set<std::string> seen;
    for (const std::string& t : targets_) {
        if (auto problem = target_problem(t, tokenizer_)) throw std::invalid_argument(*problem);
        std::string f = t;
        for (char& ch : f) ch = static_cast<char>(fold_[static_cast<unsigned char>(ch)]);
        if (!seen.insert(f).second)
            throw std::invalid_argument(
                fmt::format("\"{}\" is listed twice{}", t, fold_case_ ? " (ignoring case)" : ""));
        max_target_bytes_ = std::max(max_target_bytes_, f.size());
        folded_.push_back(std::move(f));
    }
    if (targets_.size() > UINT32_MAX) throw std::invalid_argument("too many target words");

    // 8-byte probes (built as byte arrays, so independent of endianness).
    for (const std::string& f : folded_) {
        Probe probe;
        probe.len = static_cast<std::uint32_t>(f.size());
        probe.fits = f.size() <= 7;
        if (probe.fits) {
            unsigned char value[8] = {}, care[8] = {}, or_mask[8] = {};
            for (std::size_t j = 0; j < f.size(); ++j) {
                const auto c = static_cast<unsigned char>(f[j]);
                value[j] = c;
                care[j] = 0xFF;
                // With fold_case a (lowercase) letter matches both cases: (b | 0x20) == c.
                or_mask[j] = (fold_case_ && c >= 'a' && c <= 'z') ? 0x20 : 0;
            }
            std::memcpy(&probe.value, value, 8);
            std::memcpy(&probe.care, care, 8);
            std::memcpy(&probe.or_mask, or_mask, 8);
        }
        probes_.push_back(probe);
    }

    // Buckets of targets by the raw first byte that can start them.
    for (unsigned c = 0; c < 256; ++c) {
        first_[c] = static_cast<std::uint32_t>(by_first_.size());
        for (std::size_t t = 0; t < folded_.size(); ++t)
            if (static_cast<unsigned char>(folded_[t][0]) == fold_[c])
                by_first_.push_back(static_cast<std::uint32_t>(t));
    }
    first_[256] = static_cast<std::uint32_t>(by_first_.size());

    // The SIMD start filter: one group per distinct folded first byte. With fold_case a
    // letter f matches both cases as (v | 0x20) == f; anything else matches exactly.
    std::set<std::pair<unsigned char, unsigned char>> groups;
    for (const std::string& f : folded_) {
        const auto c = static_cast<unsigned char>(f[0]);
        if (fold_case_ && c >= 'a' && c <= 'z')
            groups.insert({c, 0x20});
        else
            groups.insert({c, 0});
    }
    if (groups.size() <= start_eq_.size()) {
        for (const auto& [eq, orr] : groups) {
            start_eq_[start_groups_] = eq;
            start_or_[start_groups_] = orr;
            ++start_groups_;
        }
    }  // else: start_groups_ = 0, every word start is looked up in the table
}

WordCounts Matcher::zero_counts() const {
    WordCounts w;
    w.per_target.assign(targets_.size(), 0);
    return w;
}

// The counting core: friends of Matcher.
struct MatcherAccess {
    // Counts the target (if any) equal to the word that starts at p[i]; p has sz bytes and
    // p + sz is taken as the end of the text.
    static inline void match_at(const Matcher& m, const unsigned char* p, std::size_t i,
                                std::size_t sz, std::uint64_t* per_target) {
        const unsigned char c = p[i];
        const bool room8 = sz - i >= 8;
        for (std::uint32_t k = m.first_[c], stop = m.first_[c + 1]; k < stop; ++k) {
            const std::uint32_t t = m.by_first_[k];
            const Matcher::Probe& probe = m.probes_[t];
            if (room8 && probe.fits) {
                // Branch-free: word start candidates are unpredictable, so no branch on the
                // outcome (targets are distinct: at most one of the bucket adds 1).
                std::uint64_t w8;
                std::memcpy(&w8, p + i, 8);
                const bool same = ((w8 | probe.or_mask) & probe.care) == probe.value;
                const bool ends = m.word_[p[i + probe.len]] == 0;
                per_target[t] += static_cast<std::uint64_t>(same & ends);
                continue;
            }
            // Long targets, or near the end of the buffer: byte by byte.
            const std::string& w = m.folded_[t];
            const std::size_t len = w.size();
            if (len > sz - i) continue;                         // runs past the text
            if (len < sz - i && m.word_[p[i + len]]) continue;  // the word is longer
            std::size_t j = 1;                                  // byte 0 matched by the bucket
            while (j < len && m.fold_[p[i + j]] == static_cast<unsigned char>(w[j])) ++j;
            if (j == len) ++per_target[t];
        }
    }

    static void count_scalar(const Matcher& m, const unsigned char* p, std::size_t sz,
                             std::size_t begin, std::size_t end, bool prev_is_word,
                             WordCounts& counts) {
        std::uint64_t total = 0;
        bool prev = prev_is_word;
        std::uint64_t* per_target = counts.per_target.data();
        for (std::size_t i = begin; i < end; ++i) {
            const bool word = m.word_[p[i]] != 0;
            if (word && !prev) {
                ++total;
                if (m.first_[p[i] + 1] != m.first_[p[i]]) match_at(m, p, i, sz, per_target);
            }
            prev = word;
        }
        counts.total_words += total;
    }

#if defined(__SSE2__)
    // 0xFF in each byte of v that belongs to a word.
    template <Tokenizer T>
    static inline __m128i word_mask(__m128i v) {
        if constexpr (T == Tokenizer::Whitespace) {
            // Whitespace: ' ' or 9..13. Signed compares: bytes >= 0x80 are negative, so they
            // fall outside 9..13 and count as word bytes, as does NUL.
            const __m128i space = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
            const __m128i ctl = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(8)),
                                              _mm_cmpgt_epi8(_mm_set1_epi8(14), v));
            return _mm_andnot_si128(_mm_or_si128(space, ctl), _mm_set1_epi8(-1));
        } else {
            // Letters: (v | 0x20) in 'a'..'z'; bytes >= 0x80 stay negative and fail.
            const __m128i x = _mm_or_si128(v, _mm_set1_epi8(0x20));
            return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
                                 _mm_cmpgt_epi8(_mm_set1_epi8('z' + 1), x));
        }
    }

    static inline std::uint64_t horizontal_sum(__m128i bytes) {
        const __m128i s = _mm_sad_epu8(bytes, _mm_setzero_si128());
        return static_cast<std::uint64_t>(_mm_cvtsi128_si32(s)) +
               static_cast<std::uint64_t>(_mm_cvtsi128_si32(_mm_srli_si128(s, 8)));
    }

    // One 16-byte block: adds its word starts to acc, advances carry, returns the movemask
    // of the starts whose byte can begin a target.
    template <Tokenizer T>
    static inline unsigned block16(const unsigned char* q, __m128i& carry, __m128i& acc,
                                   const __m128i* eq, const __m128i* orr, std::size_t groups) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
        const __m128i w = word_mask<T>(v);
        const __m128i before = _mm_or_si128(_mm_slli_si128(w, 1), carry);
        const __m128i starts = _mm_andnot_si128(before, w);
        carry = _mm_srli_si128(w, 15);
        acc = _mm_sub_epi8(acc, starts);  // starts are 0xFF = −1: one more per start
        __m128i cand = starts;
        if (groups != 0) {
            __m128i hit = _mm_cmpeq_epi8(_mm_or_si128(v, orr[0]), eq[0]);
            for (std::size_t g = 1; g < groups; ++g)
                hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_or_si128(v, orr[g]), eq[g]));
            cand = _mm_and_si128(cand, hit);
        }
        return static_cast<unsigned>(_mm_movemask_epi8(cand));
    }

    template <Tokenizer T>
    static void count_sse2(const Matcher& m, const unsigned char* p, std::size_t sz,
                           std::size_t begin, std::size_t end, bool prev_is_word,
                           WordCounts& counts) {
        std::uint64_t* per_target = counts.per_target.data();
        const std::size_t groups = m.start_groups_;
        __m128i eq[8], orr[8];
        for (std::size_t g = 0; g < groups; ++g) {
            eq[g] = _mm_set1_epi8(static_cast<char>(m.start_eq_[g]));
            orr[g] = _mm_set1_epi8(static_cast<char>(m.start_or_[g]));
        }

        std::uint64_t total = 0;
        __m128i acc = _mm_setzero_si128();  // per-byte start counts, flushed before overflow
        // Byte 0: whether the byte before the current block is a word byte.
        __m128i carry = _mm_cvtsi32_si128(prev_is_word ? 0xFF : 0);
        std::size_t i = begin;
        // 64 bytes per iteration: one branch on "any candidate?" per 64 bytes, not per 16.
        // acc gains at most 4 per byte lane per iteration: flush every 63 iterations.
        unsigned rounds = 0;
        for (; i + 64 <= end; i += 64) {
            std::uint64_t mask = block16<T>(p + i, carry, acc, eq, orr, groups);
            mask |= std::uint64_t{block16<T>(p + i + 16, carry, acc, eq, orr, groups)} << 16;
            mask |= std::uint64_t{block16<T>(p + i + 32, carry, acc, eq, orr, groups)} << 32;
            mask |= std::uint64_t{block16<T>(p + i + 48, carry, acc, eq, orr, groups)} << 48;
            if (++rounds == 63) {
                total += horizontal_sum(acc);
                acc = _mm_setzero_si128();
                rounds = 0;
            }
            while (mask != 0) {
                match_at(m, p, i + static_cast<unsigned>(__builtin_ctzll(mask)), sz, per_target);
                mask &= mask - 1;
            }
        }
        // Then 16 at a time (at most 3 blocks: acc cannot overflow).
        for (; i + 16 <= end; i += 16) {
            unsigned mask = block16<T>(p + i, carry, acc, eq, orr, groups);
            while (mask != 0) {
                match_at(m, p, i + static_cast<unsigned>(__builtin_ctz(mask)), sz, per_target);
                mask &= mask - 1;
            }
        }
        total += horizontal_sum(acc);
        counts.total_words += total;
        // The last < 16 bytes, byte by byte.
        const bool prev = i == begin ? prev_is_word : m.word_[p[i - 1]] != 0;
        count_scalar(m, p, sz, i, end, prev, counts);
    }
#endif
};

void add_word_counts_scalar(std::string_view buf, std::size_t begin, std::size_t end,
                            bool prev_is_word, const Matcher& matcher, WordCounts& counts) {
    if (counts.per_target.size() != matcher.target_count())
        throw std::invalid_argument("add_word_counts: counts do not match the target list");
    end = std::min(end, buf.size());
    if (begin >= end) return;
    MatcherAccess::count_scalar(matcher, reinterpret_cast<const unsigned char*>(buf.data()),
                                buf.size(), begin, end, prev_is_word, counts);
}

void add_word_counts(std::string_view buf, std::size_t begin, std::size_t end, bool prev_is_word,
                     const Matcher& matcher, WordCounts& counts) {
#if defined(__SSE2__)
    if (counts.per_target.size() != matcher.target_count())
        throw std::invalid_argument("add_word_counts: counts do not match the target list");
    end = std::min(end, buf.size());
    if (begin >= end) return;
    const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
    if (matcher.tokenizer() == Tokenizer::Whitespace)
        MatcherAccess::count_sse2<Tokenizer::Whitespace>(matcher, p, buf.size(), begin, end,
                                                         prev_is_word, counts);
    else
        MatcherAccess::count_sse2<Tokenizer::Alpha>(matcher, p, buf.size(), begin, end,
                                                    prev_is_word, counts);
#else
    add_word_counts_scalar(buf, begin, end, prev_is_word, matcher, counts);
#endif
}

WordCounts count_words(std::string_view buf, std::size_t begin, std::size_t end, bool prev_is_word,
                       const Matcher& matcher) {
    WordCounts counts = matcher.zero_counts();
    add_word_counts(buf, begin, end, prev_is_word, matcher, counts);
    return counts;
}

// ---------------------------------------------------------------------------------------
// The serial reference. Written independently of the tables above on purpose: a bug in the
// fast path should not be reproduced here.

WordCounts count_words_reference(std::string_view text, const std::vector<std::string>& targets,
                                 Tokenizer tokenizer, bool fold_case) {
    auto lower = [](std::string s) {
        for (char& ch : s)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        return s;
    };
    std::map<std::string, std::size_t> index;  // word as compared -> target position
    for (std::size_t t = 0; t < targets.size(); ++t)
        index.emplace(fold_case ? lower(targets[t]) : targets[t], t);

    WordCounts counts;
    counts.per_target.assign(targets.size(), 0);
    auto finish = [&](std::string& word) {
        if (word.empty()) return;
        ++counts.total_words;
        const auto it = index.find(fold_case ? lower(word) : word);
        if (it != index.end()) ++counts.per_target[it->second];
        word.clear();
    };
    const std::string_view spaces(" \t\n\v\f\r");
    std::string word;
    for (const char ch : text) {
        const bool in_word = tokenizer == Tokenizer::Whitespace
                                 ? spaces.find(ch) == std::string_view::npos
                                 : (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        if (in_word)
            word += ch;
        else
            finish(word);
    }
    finish(word);
    return counts;
}

std::uint64_t file_size(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw std::runtime_error(fmt::format("cannot stat '{}': {}", path, std::strerror(errno)));
    return static_cast<std::uint64_t>(st.st_size);
}

std::uint64_t chunk_count(std::uint64_t size, std::uint64_t chunk_bytes) {
    return size / chunk_bytes + (size % chunk_bytes != 0);
}

std::vector<std::string> word_list_problems(const std::vector<std::string>& words,
                                            Tokenizer tokenizer, bool fold_case) {
    std::vector<std::string> problems;
    std::map<std::string, std::string> seen;  // as compared -> as written
    for (const auto& word : words) {
        if (auto problem = target_problem(word, tokenizer)) {
            problems.push_back(*problem);
            continue;
        }
        std::string key = word;
        if (fold_case)
            for (char& ch : key)
                if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        const auto [it, fresh] = seen.emplace(key, word);
        if (!fresh)
            problems.push_back(fmt::format("\"{}\" repeats \"{}\"{}: each word may be listed once",
                                           word, it->second,
                                           fold_case ? " (fold_case compares ignoring case)" : ""));
    }
    return problems;
}

}  // namespace parsweep::wordcount

// =========================================================================================
// The kernel

namespace parsweep {
namespace {

using u64 = std::uint64_t;
namespace wc = wordcount;

struct WordcountParams {
    std::string file;
    u64 chunk_bytes = 262144;
    std::vector<std::string> words;
    wc::Tokenizer tokenizer = wc::Tokenizer::Whitespace;
    bool fold_case = false;
};

const std::vector<Param<WordcountParams>>& wordcount_params() {
    using P = WordcountParams;
    static const std::vector<Param<P>> declared = {
        field(&P::file, {"file",
                         ParamType::File,
                         "data/t8.shakespeare.txt",
                         "the text to count words in (make data fetches the Shakespeare text)",
                         std::nullopt,
                         std::nullopt,
                         {}}),
        {{"chunk_bytes",
          ParamType::Integer,
          262144,
          "bytes per chunk, one pread and one item each (the workshop uses 256 KiB)",
          1.0,
          static_cast<double>(1 << 30),
          {}},
         [](P& wp, const json& params, std::string_view kernel) {
             wp.chunk_bytes = count_param(params, kernel, "chunk_bytes");
             if (wp.chunk_bytes == 0)
                 throw std::invalid_argument("wordcount: chunk_bytes must be >= 1");
         }},
        field(&P::words, {"words",
                          ParamType::StringList,
                          json::array({"dog", "cat", "boy", "girl"}),
                          "the words to count, each a single token under the tokenizer",
                          std::nullopt,
                          std::nullopt,
                          {}}),
        {{"tokenizer",
          ParamType::String,
          "whitespace",
          "whitespace: runs of non-whitespace bytes (Python's str.split()); alpha: runs of "
          "ASCII letters",
          std::nullopt,
          std::nullopt,
          {"whitespace", "alpha"}},
         [](P& wp, const json& params, std::string_view) {
             const auto tok = params.at("tokenizer").get<std::string>();
             const auto parsed = wc::parse_tokenizer(tok);
             if (!parsed) throw std::invalid_argument("wordcount: unknown tokenizer '" + tok + "'");
             wp.tokenizer = *parsed;
         }},
        field(&P::fold_case, {"fold_case",
                              ParamType::Boolean,
                              false,
                              "compare words ASCII-case-insensitively (Dog = dog)",
                              std::nullopt,
                              std::nullopt,
                              {}}),
    };
    return declared;
}

std::string errno_text(const std::string& what, const std::string& path) {
    return fmt::format("wordcount: cannot {} '{}': {}", what, path, std::strerror(errno));
}

using wc::chunk_count;
using wc::file_size;

// An open file descriptor, closed on destruction.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

// Reads up to `bytes` at `offset`; returns fewer only at the end of the file.
std::size_t pread_full(int fd, char* buf, std::size_t bytes, u64 offset, const std::string& path) {
    std::size_t got = 0;
    while (got < bytes) {
        const ssize_t r = ::pread(fd, buf + got, bytes - got, static_cast<off_t>(offset + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(errno_text("read", path));
        }
        if (r == 0) break;  // end of file
        got += static_cast<std::size_t>(r);
    }
    return got;
}

// Bytes of one thread's read buffer: the byte before the chunk, the chunk (never more than
// the file), the tail, and 16 bytes of slack.
u64 buffer_bytes(u64 chunk_bytes, u64 size, std::size_t tail_bytes) {
    return std::min(chunk_bytes, size) + 1 + tail_bytes + 16;
}

// ---------------------------------------------------------------------------------------

class WordcountRun final : public KernelRun {
  public:
    WordcountRun(WordcountParams params, u64 begin, u64 end)
        : p_(std::move(params)),
          matcher_(p_.words, p_.tokenizer, p_.fold_case),
          begin_(begin),
          end_(end),
          fd_(::open(p_.file.c_str(), O_RDONLY | O_CLOEXEC)),
          counts_(matcher_.zero_counts()) {
        if (fd_.get() < 0) throw std::runtime_error(errno_text("open", p_.file));
        struct stat st {};
        if (::fstat(fd_.get(), &st) != 0) throw std::runtime_error(errno_text("stat", p_.file));
        size_ = static_cast<u64>(st.st_size);
        buffer_bytes_ = buffer_bytes(p_.chunk_bytes, size_, matcher_.tail_bytes());
        // One read buffer per thread, allocated and first-touched by the thread that will
        // use it, so that no page fault lands in the timed region.
        if (end_ > begin_) {
            buffers_.resize(static_cast<std::size_t>(omp_get_max_threads()));
            std::atomic<bool> failed{false};
#pragma omp parallel
            {
                const auto t = static_cast<std::size_t>(omp_get_thread_num());
                if (t < buffers_.size()) {
                    try {
                        buffers_[t].reset(new char[buffer_bytes_]);
                        std::memset(buffers_[t].get(), 0, buffer_bytes_);
                    } catch (...) {
                        failed = true;
                    }
                }
            }
            if (failed) throw std::bad_alloc();
        }
    }

    void run(u64 b, u64 e) override {
        if (b > e || b < begin_ || e > end_)
            throw std::out_of_range(fmt::format("wordcount: run({}, {}) outside the share [{}, {})",
                                                b, e, begin_, end_));
        wc::WordCounts counts = matcher_.zero_counts();
        u64 bytes = 0, chunks = 0;
        std::exception_ptr error;
        std::atomic<bool> failed{false};
#pragma omp parallel
        {
            wc::WordCounts local = matcher_.zero_counts();
            u64 local_bytes = 0, local_chunks = 0;
            char* buffer = nullptr;  // this thread's, fetched at its first chunk
#pragma omp for schedule(dynamic)
            for (u64 c = b; c < e; ++c) {
                if (failed) continue;  // no break out of a worksharing loop
                try {
                    if (!buffer)
                        buffer = thread_buffer(static_cast<std::size_t>(omp_get_thread_num()));
                    local_bytes += count_chunk(c, buffer, local);
                    ++local_chunks;
                } catch (...) {
#pragma omp critical(parsweep_wordcount_error)
                    if (!error) error = std::current_exception();
                    failed = true;
                }
            }
#pragma omp critical(parsweep_wordcount_merge)
            {
                counts += local;
                bytes += local_bytes;
                chunks += local_chunks;
            }
        }
        if (error) std::rethrow_exception(error);
        counts_ += counts;
        total_bytes_ += bytes;
        total_chunks_ += chunks;
        batches_.push_back({b, e, bytes, chunks});
    }

    // Proves that every chunk of [b, e) was read and counted in full.
    Verdict check(u64 b, u64 e) override {
        const auto it = std::find_if(batches_.begin(), batches_.end(),
                                     [&](const Batch& x) { return x.begin == b && x.end == e; });
        if (it == batches_.end())
            return Verdict::fail(fmt::format("wordcount: chunks [{}, {}) were not run", b, e));
        const u64 cb = p_.chunk_bytes;
        const u64 want_bytes = std::min(e * cb, size_) - std::min(b * cb, size_);
        if (it->chunks != e - b || it->bytes != want_bytes)
            return Verdict::fail(fmt::format(
                "wordcount: chunks [{}, {}) of {}: counted {} chunks / {} bytes, expected {} / "
                "{} (short read? file changed?)",
                b, e, p_.file, it->chunks, it->bytes, e - b, want_bytes));
        return Verdict::pass();
    }

    json partial() const override {
        json counts = json::object();
        for (std::size_t t = 0; t < matcher_.target_count(); ++t)
            counts[matcher_.targets()[t]] = counts_.per_target[t];
        return {{"counts", counts},
                {"total_words", counts_.total_words},
                {"chunks", total_chunks_},
                {"bytes", total_bytes_}};
    }

  private:
    struct Batch {
        u64 begin, end, bytes, chunks;
    };

    char* thread_buffer(std::size_t t) {
        // prepare() allocated omp_get_max_threads() buffers; should the team be larger (the
        // thread count changed in between), the extra threads allocate theirs here — inside
        // the timed region, but only in that unusual case.
        if (t < buffers_.size() && buffers_[t]) return buffers_[t].get();
        std::lock_guard<std::mutex> lock(buffers_mutex_);
        auto& extra = extra_buffers_[t];
        if (!extra) extra.reset(new char[buffer_bytes_]);
        return extra.get();
    }

    // Counts the words starting in chunk c into `counts`; returns the chunk's bytes.
    u64 count_chunk(u64 c, char* buffer, wc::WordCounts& counts) const {
        const u64 cb = p_.chunk_bytes;
        const u64 start = c * cb;
        if (start >= size_) return 0;  // the file shrank since items() was computed
        const u64 stop = std::min(start + cb, size_);
        const u64 from = start > 0 ? start - 1 : 0;  // the byte before the chunk
        const u64 to = std::min(size_, stop + matcher_.tail_bytes());
        const std::size_t got =
            pread_full(fd_.get(), buffer, static_cast<std::size_t>(to - from), from, p_.file);
        const auto begin = static_cast<std::size_t>(start - from);
        const std::size_t end = std::min(begin + static_cast<std::size_t>(stop - start), got);
        if (begin >= end) return 0;
        const bool prev_is_word =
            begin > 0 && matcher_.is_word(static_cast<unsigned char>(buffer[0]));
        wc::add_word_counts(std::string_view(buffer, got), begin, end, prev_is_word, matcher_,
                            counts);
        return end - begin;
    }

    WordcountParams p_;
    wc::Matcher matcher_;
    u64 begin_, end_;
    Fd fd_;
    u64 size_ = 0;
    u64 buffer_bytes_ = 0;
    std::vector<std::unique_ptr<char[]>> buffers_;  // one per thread
    std::mutex buffers_mutex_;
    std::map<std::size_t, std::unique_ptr<char[]>> extra_buffers_;
    wc::WordCounts counts_;
    u64 total_bytes_ = 0, total_chunks_ = 0;
    std::vector<Batch> batches_;
};

// ---------------------------------------------------------------------------------------
// The reference counts, computed once per (file, size, mtime, tokenizer, fold_case, words)
// for the whole sweep.

wc::WordCounts reference_counts(const WordcountParams& wp) {
    struct stat st {};
    if (::stat(wp.file.c_str(), &st) != 0) throw std::runtime_error(errno_text("stat", wp.file));
    // Length-prefixed fields: unambiguous, and no JSON dump (which rejects non-UTF-8 bytes).
    std::string k;
    auto add = [&k](std::string_view field) {
        k += std::to_string(field.size());
        k += ':';
        k += field;
    };
    add(wp.file);
    add(fmt::format("{}/{}.{:09}/{}", static_cast<u64>(st.st_size),
                    static_cast<std::int64_t>(st.st_mtim.tv_sec),
                    static_cast<std::int64_t>(st.st_mtim.tv_nsec), static_cast<u64>(st.st_ino)));
    add(wc::to_string(wp.tokenizer));
    add(wp.fold_case ? "fold" : "exact");
    for (const auto& w : wp.words) add(w);
    static std::mutex mutex;
    static std::map<std::string, wc::WordCounts> cache;
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(k); it != cache.end()) return it->second;

    // Whole file at once, with plain stdio: nothing shared with the kernel's reader.
    std::string text;
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(wp.file.c_str(), "rb"), &std::fclose);
    if (!f) throw std::runtime_error(errno_text("open", wp.file));
    char block[1 << 16];
    std::size_t n;
    while ((n = std::fread(block, 1, sizeof block, f.get())) > 0) text.append(block, n);
    if (std::ferror(f.get())) throw std::runtime_error(errno_text("read", wp.file));
    wc::WordCounts counts = wc::count_words_reference(text, wp.words, wp.tokenizer, wp.fold_case);
    cache.emplace(k, counts);
    return counts;
}

class WordcountKernel {
  public:
    using Params = WordcountParams;

    std::string_view id() const { return "wordcount"; }
    std::string_view summary() const {
        return "count chosen words and all words in a text read in chunks with pread, chunks "
               "counted by OpenMP threads; verified against a one-pass serial count";
    }

    const std::vector<Param<WordcountParams>>& declared() const { return wordcount_params(); }

    // On the JSON itself: a bad tokenizer or word list would not parse, and is what it reports.

    std::vector<ParamError> validate_json(const json& params) const {
        std::vector<ParamError> errors;
        const std::string file = params.at("file").get<std::string>();
        struct stat st {};
        if (::stat(file.c_str(), &st) != 0) {
            errors.push_back(
                {"file", fmt::format("cannot read '{}': {}", file, std::strerror(errno))});
        } else if (!S_ISREG(st.st_mode)) {
            errors.push_back({"file", fmt::format("'{}' is not a regular file", file)});
        } else if (::access(file.c_str(), R_OK) != 0) {
            errors.push_back(
                {"file", fmt::format("cannot read '{}': {}", file, std::strerror(errno))});
        }

        const auto tok_name = params.at("tokenizer").get<std::string>();
        const auto tok = wc::parse_tokenizer(tok_name);
        if (!tok) {
            errors.push_back(
                {"tokenizer", "unknown tokenizer '" + tok_name + "' (whitespace or alpha)"});
            return errors;
        }
        const bool fold = params.at("fold_case").get<bool>();
        const json& words = params.at("words");
        if (!words.is_array() || words.empty()) {
            errors.push_back({"words", "must be a non-empty list of words"});
            return errors;
        }
        std::vector<std::string> list;
        for (const json& w : words) {
            if (w.is_string())
                list.push_back(w.get<std::string>());
            else
                errors.push_back({"words", "every entry must be a string, got " + w.dump()});
        }
        for (auto& problem : wc::word_list_problems(list, *tok, fold))
            errors.push_back({"words", std::move(problem)});
        return errors;
    }

    u64 items(const WordcountParams& wp) const {
        return chunk_count(file_size(wp.file), wp.chunk_bytes);
    }

    u64 memory_bytes(const WordcountParams& wp, u64 share_items, int threads) const {
        if (share_items == 0) return 64 * 1024;
        u64 size = wp.chunk_bytes;
        try {
            size = file_size(wp.file);
        } catch (const std::exception&) {
            // unknown: assume a full chunk per thread
        }
        std::size_t max_len = 0;
        for (const auto& w : wp.words) max_len = std::max(max_len, w.size());
        const u64 per_thread = buffer_bytes(wp.chunk_bytes, size, max_len + 1) + 64;
        return static_cast<u64>(std::max(threads, 1)) * per_thread + 64 * 1024;
    }

    Work work(const WordcountParams& wp) const {
        const u64 size = file_size(wp.file);
        Work w;
        w.bytes = static_cast<double>(size);
        w.items = static_cast<double>(chunk_count(size, wp.chunk_bytes));
        w.item_unit = "chunk";
        return w;
    }

    std::unique_ptr<KernelRun> prepare(WordcountParams wp, u64 begin, u64 end) const {
        if (begin > end)
            throw std::out_of_range(fmt::format("wordcount: bad share [{}, {})", begin, end));
        return std::make_unique<WordcountRun>(std::move(wp), begin, end);
    }

    json merge(const WordcountParams& wp, const std::vector<json>& partials) const {
        json counts = json::object();
        for (const auto& w : wp.words) counts[w] = u64{0};
        u64 total = 0, chunks = 0, bytes = 0;
        for (const json& part : partials) {
            const json& pc = part.at("counts");
            for (const auto& w : wp.words)
                if (pc.contains(w)) counts[w] = counts[w].get<u64>() + pc[w].get<u64>();
            total += part.at("total_words").get<u64>();
            chunks += part.at("chunks").get<u64>();
            bytes += part.at("bytes").get<u64>();
        }
        return {{"counts", counts}, {"total_words", total}, {"chunks", chunks}, {"bytes", bytes}};
    }

    Verdict verify(const WordcountParams& wp, const json& result) const {
        wc::WordCounts ref;
        u64 size = 0;
        try {
            ref = reference_counts(wp);
            size = file_size(wp.file);
        } catch (const std::exception& e) {
            return Verdict::fail(std::string("wordcount: no reference count: ") + e.what());
        }
        const u64 want_chunks = chunk_count(size, wp.chunk_bytes);

        auto field = [&](const char* name) -> std::optional<u64> {
            if (!result.contains(name) || !result[name].is_number_integer()) return std::nullopt;
            return result[name].get<u64>();
        };
        const auto total = field("total_words");
        const auto chunks = field("chunks");
        const auto bytes = field("bytes");
        if (!total || !chunks || !bytes || !result.contains("counts") ||
            !result["counts"].is_object())
            return Verdict::fail("wordcount: malformed result: " + result.dump());

        std::vector<std::string> problems;
        if (*chunks != want_chunks || *bytes != size)
            problems.push_back(fmt::format("{} chunks / {} bytes were counted, expected {} / {}",
                                           *chunks, *bytes, want_chunks, size));
        const json& counts = result["counts"];
        for (std::size_t t = 0; t < wp.words.size(); ++t) {
            const std::string& w = wp.words[t];
            const u64 want = ref.per_target[t];
            if (!counts.contains(w) || !counts[w].is_number_integer()) {
                problems.push_back(fmt::format("no count for \"{}\" (expected {})", w, want));
                continue;
            }
            const u64 got = counts[w].get<u64>();
            if (got != want)
                problems.push_back(fmt::format("\"{}\" counted {}, expected {}", w, got, want));
        }
        if (*total != ref.total_words)
            problems.push_back(fmt::format(
                "total_words is {}, expected {} — counts differ: words at chunk boundaries "
                "counted twice or lost?",
                *total, ref.total_words));
        if (problems.empty()) return Verdict::pass();
        std::string msg =
            fmt::format("wordcount: {} (chunk_bytes {}, tokenizer {}{}): ", wp.file, wp.chunk_bytes,
                        wc::to_string(wp.tokenizer), wp.fold_case ? ", fold_case" : "");
        for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
        return Verdict::fail(msg);
    }
};

}  // namespace

const Kernel& wordcount_kernel() {
    static const KernelOf<WordcountKernel> kernel;
    return kernel;
}

}  // namespace parsweep
