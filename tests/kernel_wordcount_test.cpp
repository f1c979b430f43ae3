// The wordcount kernel in-process: crafted texts with counts worked out by hand, every chunk
// size over short texts (so that words straddle every boundary), 1-3 simulated worker
// processes with 1, 2 and 4 threads, both tokenizers with and without case folding, odd
// bytes, empty and whitespace-free files, validate() errors, the SIMD core against the
// scalar core, and the workshop text under several chunkings against verify().
#include <omp.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel.hpp"
#include "kernel_support.hpp"
#include "test_support.hpp"
#include "wordcount.hpp"

namespace parsweep {
const Kernel& wordcount_kernel();
}

namespace {

using parsweep::json;
using parsweep::Kernel;
using parsweep::Verdict;
using u64 = std::uint64_t;
namespace wc = parsweep::wordcount;
namespace pt = parsweep::test;
using namespace std::string_literals;

const Kernel& K() {
    return parsweep::wordcount_kernel();
}

json make_params(const std::string& file, u64 chunk_bytes,
                 std::vector<std::string> words = {"dog", "cat", "boy", "girl"},
                 const std::string& tokenizer = "whitespace", bool fold_case = false) {
    return {{"file", file},
            {"chunk_bytes", chunk_bytes},
            {"words", words},
            {"tokenizer", tokenizer},
            {"fold_case", fold_case}};
}

class ThreadsGuard {
  public:
    explicit ThreadsGuard(int t) : saved_(omp_get_max_threads()) { omp_set_num_threads(t); }
    ~ThreadsGuard() { omp_set_num_threads(saved_); }

  private:
    int saved_;
};

// Uneven contiguous shares of [0, items), as worker processes would get them.
std::vector<std::pair<u64, u64>> split(u64 items, int shares) {
    std::vector<u64> cuts = {0};
    if (shares == 2) cuts.push_back(items / 3);
    if (shares == 3) {
        cuts.push_back(items / 5);
        cuts.push_back(std::min(items, items / 2 + 1));
    }
    cuts.push_back(items);
    std::vector<std::pair<u64, u64>> out;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) out.push_back({cuts[i], cuts[i + 1]});
    return out;
}

using parsweep::test::Outcome;

// The kernel end to end in-process: items split into `shares` shares, each share
// prepare → run → check → partial, then merge + verify (tests/kernel_support.hpp).
Outcome run_point(const json& params, int shares) {
    return parsweep::test::run_point(K(), params, split(K().items(params), shares));
}

struct Expected {
    std::map<std::string, u64> counts;
    u64 total;
};

// Runs `text` through every chunk size from 1 to len + 1 (plus 4096 and 262144), 1-3 shares
// and 1/2/4 threads, and compares with the hand-made counts as well as with verify().
void expect_counts_everywhere(const std::string& text, const Expected& want,
                              const std::vector<std::string>& words,
                              const std::string& tokenizer = "whitespace", bool fold_case = false) {
    pt::TempDir dir;
    const auto path = pt::write_file(dir / "text.txt", text).string();
    std::vector<u64> chunks;
    for (u64 c = 1; c <= text.size() + 1; ++c) chunks.push_back(c);
    chunks.push_back(4096);
    chunks.push_back(262144);
    for (const u64 chunk : chunks)
        for (int shares = 1; shares <= 3; ++shares)
            for (int threads : {1, 2, 4}) {
                ThreadsGuard guard(threads);
                const json params = make_params(path, chunk, words, tokenizer, fold_case);
                SCOPED_TRACE("chunk_bytes=" + std::to_string(chunk) + " shares=" +
                             std::to_string(shares) + " threads=" + std::to_string(threads) +
                             " tokenizer=" + tokenizer + (fold_case ? " fold_case" : ""));
                const Outcome o = run_point(params, shares);
                ASSERT_TRUE(o.checks.ok) << o.checks.message;
                ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
                for (const auto& [w, n] : want.counts)
                    ASSERT_EQ(o.result["counts"][w].get<u64>(), n) << "word " << w;
                ASSERT_EQ(o.result["total_words"].get<u64>(), want.total);
                ASSERT_EQ(o.result["bytes"].get<u64>(), text.size());
                ASSERT_EQ(o.result["chunks"].get<u64>(), (text.size() + chunk - 1) / chunk);
            }
}

const std::vector<std::string> kDefaultWords = {"dog", "cat", "boy", "girl"};

// ---------------------------------------------------------------------------------------
// Hand-counted texts

TEST(WordcountCrafted, WordsGluedAcrossBoundaries) {
    // "dogdog" is one word, not two dogs; every split point of it is some chunk boundary.
    expect_counts_everywhere("dogdog dog cat", {{{"dog", 1}, {"cat", 1}, {"boy", 0}}, 3},
                             kDefaultWords);
}

TEST(WordcountCrafted, LeadingTrailingAndRepeatedWhitespace) {
    expect_counts_everywhere("  dog  dog\ndog\tcat \r\n", {{{"dog", 3}, {"cat", 1}}, 4},
                             kDefaultWords);
}

TEST(WordcountCrafted, EveryAsciiWhitespaceByteSeparates) {
    expect_counts_everywhere("a\tb\nc\vd\fe\rf g", {{{"dog", 0}}, 7}, kDefaultWords);
}

TEST(WordcountCrafted, PrefixesAndSuffixesOfTargetsAreNotTargets) {
    expect_counts_everywhere("xdog dogx dog do d dogs", {{{"dog", 1}}, 6}, kDefaultWords);
}

TEST(WordcountCrafted, TargetsSharingAFirstByte) {
    expect_counts_everywhere("do dog dogs dogsx d dogs do",
                             {{{"do", 2}, {"dog", 1}, {"dogs", 2}}, 7}, {"do", "dog", "dogs"});
}

TEST(WordcountCrafted, TargetLengthsAroundTheEightByteProbe) {
    // The core compares targets of up to 7 bytes with one 8-byte load; 8 and more go byte by
    // byte; near the end of a buffer both fall back. Every chunk size covers every case.
    const std::string text = "abcdefg abcdefgh abcdef abcdefgh abcdefghi Abcdefg abcdefg";
    const std::vector<std::string> words = {"abcdef", "abcdefg", "abcdefgh"};
    expect_counts_everywhere(text, {{{"abcdef", 1}, {"abcdefg", 2}, {"abcdefgh", 2}}, 7}, words);
    expect_counts_everywhere(text, {{{"abcdef", 1}, {"abcdefg", 3}, {"abcdefgh", 2}}, 7}, words,
                             "whitespace", true);
}

TEST(WordcountCrafted, FoldingChangesLettersOnly) {
    // '@' | 0x20 == '`' and '[' | 0x20 == '{': folding must not confuse them.
    expect_counts_everywhere("Dog, DOG, dog,, dog @x `x [y {y",
                             {{{"dog,", 2}, {"`x", 1}, {"[y", 1}}, 8}, {"dog,", "`x", "[y"},
                             "whitespace", true);
    expect_counts_everywhere("@x `x [y {y", {{{"@x", 1}, {"{y", 1}}, 4}, {"@x", "{y"}, "whitespace",
                             true);
}

TEST(WordcountCrafted, FileThatIsExactlyOneTarget) {
    // The last byte of the file is a word byte: the word ends at end of file.
    expect_counts_everywhere("dog", {{{"dog", 1}}, 1}, kDefaultWords);
    expect_counts_everywhere("cat dog", {{{"dog", 1}, {"cat", 1}}, 2}, kDefaultWords);
}

TEST(WordcountCrafted, LongTargetLongerThanTheChunks) {
    const std::string w = "honorificabilitudinitatibus";
    expect_counts_everywhere("x " + w + " " + w + "es " + w, {{{w, 2}, {"x", 1}}, 4}, {w, "x"});
}

TEST(WordcountCrafted, CaseFolding) {
    const std::string text = "Dog DOG dog dOg cat CAT Girl";
    expect_counts_everywhere(text, {{{"dog", 1}, {"cat", 1}, {"girl", 0}}, 7}, kDefaultWords);
    expect_counts_everywhere(text, {{{"dog", 4}, {"cat", 2}, {"girl", 1}}, 7}, kDefaultWords,
                             "whitespace", true);
    // Targets are folded too.
    expect_counts_everywhere(text, {{{"DOG", 4}, {"Cat", 2}}, 7}, {"DOG", "Cat"}, "whitespace",
                             true);
}

TEST(WordcountCrafted, AlphaTokenizerSplitsAtPunctuation) {
    const std::string text = "dog,cat;dog's (girl)boy.\n";
    expect_counts_everywhere(text, {{{"dog", 2}, {"cat", 1}, {"girl", 1}, {"boy", 1}}, 6},
                             kDefaultWords, "alpha");
    expect_counts_everywhere(text, {{{"dog", 0}, {"cat", 0}, {"girl", 0}, {"boy", 0}}, 2},
                             kDefaultWords, "whitespace");
    expect_counts_everywhere("Dog,DOG;cat", {{{"dog", 2}, {"cat", 1}}, 3}, kDefaultWords, "alpha",
                             true);
}

TEST(WordcountCrafted, NulAndHighBytes) {
    // NUL and bytes >= 0x80 are word bytes for whitespace, separators for alpha.
    const std::string text =
        "dog\0dog \xC3\xA9"
        "dog dog\x80 cat\0"s;
    ASSERT_EQ(text.size(), 23u);
    expect_counts_everywhere(text, {{{"dog", 0}, {"cat", 0}}, 4}, kDefaultWords);
    expect_counts_everywhere(text, {{{"dog", 4}, {"cat", 1}}, 5}, kDefaultWords, "alpha");
    // A target may contain such bytes under whitespace (config words are JSON: UTF-8).
    expect_counts_everywhere(text,
                             {{{"cat\0"s, 1},
                               {"\xC3\xA9"
                                "dog",
                                1}},
                              4},
                             {"cat\0"s,
                              "\xC3\xA9"
                              "dog"});
}

TEST(WordcountCrafted, NoWhitespaceAtAll) {
    const std::string text(3000, 'a');
    for (u64 chunk : {1, 2, 3, 7, 64, 4096}) {
        pt::TempDir dir;
        const json params =
            make_params(pt::write_file(dir / "a.txt", text).string(), chunk, {"a", "aa"});
        for (int shares = 1; shares <= 3; ++shares) {
            const Outcome o = run_point(params, shares);
            ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
            EXPECT_EQ(o.result["total_words"].get<u64>(), 1u) << chunk;
            EXPECT_EQ(o.result["counts"]["a"].get<u64>(), 0u);
        }
    }
    // Alpha: digits separate, so "dog1dog2..." is all dogs.
    std::string dogs;
    for (int i = 0; i < 200; ++i) dogs += "dog" + std::to_string(i % 10);
    expect_counts_everywhere(dogs.substr(0, 40), {{{"dog", 10}}, 10}, kDefaultWords, "alpha");
}

TEST(WordcountCrafted, EmptyFileHasNoChunksAndZeroCounts) {
    pt::TempDir dir;
    const json params = make_params(pt::write_file(dir / "empty.txt", "").string(), 262144);
    EXPECT_TRUE(K().validate(params).empty());
    EXPECT_EQ(K().items(params), 0u);
    for (int shares = 1; shares <= 3; ++shares) {
        const Outcome o = run_point(params, shares);  // every share is [0, 0)
        ASSERT_TRUE(o.checks.ok) << o.checks.message;
        ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
        EXPECT_EQ(o.result["total_words"].get<u64>(), 0u);
        EXPECT_EQ(o.result["counts"]["dog"].get<u64>(), 0u);
    }
    // No partials at all merge to zero, too.
    EXPECT_TRUE(K().verify(params, K().merge(params, {})).ok);
}

TEST(WordcountCrafted, OnlyWhitespace) {
    expect_counts_everywhere(" \n\t\r\n  ", {{{"dog", 0}}, 0}, kDefaultWords);
}

TEST(WordcountCrafted, ManyTargetsUseTheTablePath) {
    // More than 8 distinct first bytes: no SIMD start filter, every start is looked up.
    std::vector<std::string> words;
    for (char c = 'a'; c <= 'l'; ++c) words.push_back(std::string(1, c) + "x");
    expect_counts_everywhere("ax bx cx lx lx mx ax a x", {{{"ax", 2}, {"lx", 2}, {"bx", 1}}, 9},
                             words);
}

// ---------------------------------------------------------------------------------------
// The counting core directly

TEST(WordcountCore, RangeAndPreviousByte) {
    const wc::Matcher m({"dog"}, wc::Tokenizer::Whitespace, false);
    // "xdog": the range [1, 4) starts inside a word when the byte before is a word byte.
    EXPECT_EQ(wc::count_words("xdog", 1, 4, true, m).total_words, 0u);
    auto c = wc::count_words("xdog", 1, 4, false, m);
    EXPECT_EQ(c.total_words, 1u);
    EXPECT_EQ(c.per_target[0], 1u);
    // A word starting in the range and running past its end still counts, and matches.
    c = wc::count_words("a dog cat", 0, 3, false, m);
    EXPECT_EQ(c.total_words, 2u);
    EXPECT_EQ(c.per_target[0], 1u);
    // ...but not if it is longer than the target.
    EXPECT_EQ(wc::count_words("a dogs", 0, 3, false, m).per_target[0], 0u);
    EXPECT_EQ(m.tail_bytes(), 4u);
}

TEST(WordcountCore, SimdAgreesWithScalarOnRandomBytes) {
    // Bytes from a small alphabet that hits every class: letters of the targets, other
    // letters, punctuation, each whitespace byte, NUL, high bytes.
    const std::string alphabet = "dogcatbyirlDOGCATx,.'-\0\x80\xff \t\n\v\f\r  dogcatdogcat"s;
    std::mt19937 rng(7);
    for (const auto tok : {wc::Tokenizer::Whitespace, wc::Tokenizer::Alpha})
        for (bool fold : {false, true}) {
            const wc::Matcher m({"dog", "cat", "boy", "girl", "do", "c", "catdog", "dogcatb",
                                 "girlboyd", "catcatcatcat"},
                                tok, fold);
            for (int trial = 0; trial < 300; ++trial) {
                std::string buf(1 + rng() % 300, ' ');
                for (char& ch : buf) ch = alphabet[rng() % alphabet.size()];
                const std::size_t b = rng() % buf.size();
                const std::size_t e = b + rng() % (buf.size() - b + 1);
                const bool prev = rng() % 2;
                wc::WordCounts fast = m.zero_counts(), slow = m.zero_counts();
                wc::add_word_counts(buf, b, e, prev, m, fast);
                wc::add_word_counts_scalar(buf, b, e, prev, m, slow);
                ASSERT_EQ(fast, slow) << "trial " << trial;
            }
            // And over a whole text, against the independent reference.
            std::string text(100000, ' ');
            for (char& ch : text) ch = alphabet[rng() % alphabet.size()];
            const auto ref = wc::count_words_reference(text, m.targets(), tok, fold);
            EXPECT_EQ(wc::count_words(text, 0, text.size(), false, m), ref);
        }
}

TEST(WordcountCore, ReferenceOnHandCountedText) {
    const auto r = wc::count_words_reference(" Dog dog\tdogs, cat\n", {"dog", "cat"},
                                             wc::Tokenizer::Whitespace, false);
    EXPECT_EQ(r.per_target, (std::vector<u64>{1, 1}));
    EXPECT_EQ(r.total_words, 4u);
    const auto a = wc::count_words_reference(" Dog dog\tdogs, cat\n", {"dog", "cat"},
                                             wc::Tokenizer::Alpha, true);
    EXPECT_EQ(a.per_target, (std::vector<u64>{2, 1}));
    EXPECT_EQ(a.total_words, 4u);
}

TEST(WordcountCore, MatcherRejectsBadTargets) {
    EXPECT_THROW(wc::Matcher({"dog cat"}, wc::Tokenizer::Whitespace, false), std::invalid_argument);
    EXPECT_THROW(wc::Matcher({"dog", "Dog"}, wc::Tokenizer::Whitespace, true),
                 std::invalid_argument);
    EXPECT_NO_THROW(wc::Matcher({"dog", "Dog"}, wc::Tokenizer::Whitespace, false));
}

// ---------------------------------------------------------------------------------------
// Generated and workshop texts, against verify()

TEST(WordcountText, GeneratedTextSmallChunks) {
    const std::string text = pt::generated_text(20000, 3);
    pt::TempDir dir;
    const auto path = pt::write_file(dir / "gen.txt", text).string();
    for (const std::string tok : {"whitespace", "alpha"})
        for (bool fold : {false, true})
            for (u64 chunk : {1, 2, 3, 7, 4096, 262144})
                for (int shares = 1; shares <= 3; ++shares)
                    for (int threads : {1, 2, 4}) {
                        ThreadsGuard guard(threads);
                        const json params = make_params(
                            path, chunk,
                            {"dog", "cat", "boy", "girl", "honorificabilitudinitatibus"}, tok,
                            fold);
                        const Outcome o = run_point(params, shares);
                        ASSERT_TRUE(o.checks.ok) << o.checks.message;
                        ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
                        ASSERT_GT(o.result["counts"]["dog"].get<u64>(), 0u);
                    }
}

TEST(WordcountText, WorkshopTextAllChunkingsAgree) {
    const std::string path = pt::workshop_text().string();
    struct Case {
        std::string tok;
        bool fold;
    };
    for (const Case& c : {Case{"whitespace", false}, Case{"whitespace", true}, Case{"alpha", false},
                          Case{"alpha", true}}) {
        json first;
        for (u64 chunk : {u64{4096}, u64{262144}, u64{1} << 30})
            for (int shares = 1; shares <= 3; ++shares)
                for (int threads : {1, 2, 4}) {
                    ThreadsGuard guard(threads);
                    const json params = make_params(path, chunk, kDefaultWords, c.tok, c.fold);
                    SCOPED_TRACE(params.dump() + " shares=" + std::to_string(shares));
                    const Outcome o = run_point(params, shares);
                    ASSERT_TRUE(o.checks.ok) << o.checks.message;
                    ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
                    json counts = {o.result["counts"], o.result["total_words"]};
                    if (first.is_null()) first = counts;
                    ASSERT_EQ(counts, first);
                }
    }
    // Tiny chunks: hundreds of thousands of preads, so once.
    ThreadsGuard guard(2);
    const Outcome o = run_point(make_params(path, 7), 3);
    ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
}

TEST(WordcountText, WorkshopTextMatchesPythonSplit) {
    // Counts computed independently with Python — bytes.split() for whitespace,
    // re.findall(rb"[A-Za-z]+") for alpha, .lower() for fold_case — on the shared
    // Shakespeare text, or on the generated stand-in workshop_text() falls back to.
    const std::string path = pt::workshop_text().string();
    using Want = std::map<std::string, std::pair<json, u64>>;
    const Want shakespeare = {
        {"whitespace", {{{"dog", 10}, {"cat", 11}, {"boy", 47}, {"girl", 4}}, 486858}},
        {"whitespace+fold", {{{"dog", 10}, {"cat", 11}, {"boy", 56}, {"girl", 4}}, 486858}},
        {"alpha", {{{"dog", 47}, {"cat", 19}, {"boy", 184}, {"girl", 13}}, 500935}},
        {"alpha+fold", {{{"dog", 47}, {"cat", 19}, {"boy", 227}, {"girl", 13}}, 500935}},
    };
    const Want generated = {
        // generated_text(1 << 20, 1)
        {"whitespace", {{{"dog", 7358}, {"cat", 7161}, {"boy", 7259}, {"girl", 7436}}, 176360}},
        {"whitespace+fold",
         {{{"dog", 14847}, {"cat", 14415}, {"boy", 7259}, {"girl", 14765}}, 176360}},
        {"alpha", {{{"dog", 14696}, {"cat", 14595}, {"boy", 14549}, {"girl", 14824}}, 183748}},
        {"alpha+fold", {{{"dog", 22185}, {"cat", 21849}, {"boy", 14549}, {"girl", 22153}}, 183748}},
    };
    const auto size = pt::fs::file_size(path);
    ASSERT_TRUE(size == 2949120 || size == (1u << 20))
        << path << " is neither the shared Shakespeare text nor the generated stand-in";
    const Want& want = size == 2949120 ? shakespeare : generated;
    for (const auto& [name, expected] : want) {
        const bool fold = name.find("+fold") != std::string::npos;
        const std::string tok = name.substr(0, name.find('+'));
        const Outcome o = run_point(make_params(path, 262144, kDefaultWords, tok, fold), 2);
        ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
        EXPECT_EQ(o.result["counts"], expected.first) << name;
        EXPECT_EQ(o.result["total_words"].get<u64>(), expected.second) << name;
    }
    // The generated stand-in, whichever text workshop_text() is.
    pt::TempDir dir;
    const auto gen = pt::write_file(dir / "gen.txt", pt::generated_text(1 << 20)).string();
    for (const auto& [name, expected] : generated) {
        const bool fold = name.find("+fold") != std::string::npos;
        const std::string tok = name.substr(0, name.find('+'));
        const Outcome o = run_point(make_params(gen, 4096, kDefaultWords, tok, fold), 3);
        ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
        EXPECT_EQ(o.result["counts"], expected.first) << name;
        EXPECT_EQ(o.result["total_words"].get<u64>(), expected.second) << name;
    }
}

// ---------------------------------------------------------------------------------------
// Metadata, validation, failures

TEST(WordcountKernel, ItemsWorkAndMemory) {
    pt::TempDir dir;
    const auto path = pt::write_file(dir / "t.txt", std::string(1000, 'x')).string();
    const json params = make_params(path, 300);
    EXPECT_EQ(K().items(params), 4u);
    EXPECT_EQ(K().batch_items(params), 0u);
    const auto w = K().work(params);
    EXPECT_DOUBLE_EQ(w.bytes, 1000.0);
    EXPECT_DOUBLE_EQ(w.items, 4.0);
    EXPECT_DOUBLE_EQ(w.flops, 0.0);
    EXPECT_EQ(w.item_unit, "chunk");
    EXPECT_GE(K().memory_bytes(params, 4, 2), 2u * (300 + 5));
    EXPECT_EQ(K().items(make_params(path, 1000)), 1u);
    EXPECT_EQ(K().items(make_params(path, 1)), 1000u);
    // A 1 GiB chunk over a small file does not reserve 1 GiB per thread.
    EXPECT_LT(K().memory_bytes(make_params(path, 1 << 30), 1, 4), 1u << 20);
}

TEST(WordcountKernel, ValidateNamesTheProblem) {
    pt::TempDir dir;
    const auto path = pt::write_file(dir / "t.txt", "dog").string();
    auto errors_for = [&](const std::vector<std::string>& words, const std::string& tok,
                          bool fold) {
        return K().validate(make_params(path, 7, words, tok, fold));
    };

    EXPECT_TRUE(errors_for({"dog", "cat"}, "whitespace", false).empty());
    EXPECT_TRUE(errors_for({"dog", "Dog"}, "whitespace", false).empty());
    EXPECT_TRUE(errors_for({"don't", "dog,"}, "whitespace", false).empty());

    auto e = errors_for({"dog cat"}, "whitespace", false);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].param, "words");
    EXPECT_NE(e[0].message.find("dog cat"), std::string::npos) << e[0].message;

    e = errors_for({"dog", ""}, "whitespace", false);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].param, "words");

    e = errors_for({"don't"}, "alpha", false);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].message.find("don't"), std::string::npos) << e[0].message;

    e = errors_for({"dog", "cat", "dog"}, "whitespace", false);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].message.find("dog"), std::string::npos) << e[0].message;

    e = errors_for({"dog", "DOG"}, "whitespace", true);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].message.find("DOG"), std::string::npos) << e[0].message;

    e = errors_for({"dog\tx"}, "whitespace", false);
    ASSERT_EQ(e.size(), 1u);

    e = K().validate(make_params((dir / "missing.txt").string(), 7));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].param, "file");
    EXPECT_NE(e[0].message.find("missing.txt"), std::string::npos) << e[0].message;

    e = K().validate(make_params(dir.path().string(), 7));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].param, "file");
    EXPECT_NE(e[0].message.find("regular"), std::string::npos) << e[0].message;
}

TEST(WordcountKernel, MissingFileThrowsWithPathAndReason) {
    pt::TempDir dir;
    const json params = make_params((dir / "gone.txt").string(), 7);
    try {
        K().prepare(params, 0, 1);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("gone.txt"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
    }
}

TEST(WordcountKernel, TamperedResultsFailVerify) {
    pt::TempDir dir;
    const auto path = pt::write_file(dir / "t.txt", pt::generated_text(5000)).string();
    const json params = make_params(path, 100);
    Outcome o = run_point(params, 2);
    ASSERT_TRUE(o.verdict.ok) << o.verdict.message;

    json bad = o.result;
    bad["counts"]["cat"] = bad["counts"]["cat"].get<u64>() + 1;
    Verdict v = K().verify(params, bad);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("\"cat\""), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("expected"), std::string::npos) << v.message;

    bad = o.result;
    bad["total_words"] = bad["total_words"].get<u64>() + 1;
    v = K().verify(params, bad);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("chunk boundaries"), std::string::npos) << v.message;

    bad = o.result;
    bad["chunks"] = 3;
    EXPECT_FALSE(K().verify(params, bad).ok);

    EXPECT_FALSE(K().verify(params, json{{"counts", 1}}).ok);
}

TEST(WordcountKernel, CheckCatchesARangeThatWasNotRun) {
    pt::TempDir dir;
    const auto path = pt::write_file(dir / "t.txt", pt::generated_text(1000)).string();
    const json params = make_params(path, 100);
    auto run = K().prepare(params, 0, 10);
    run->run(0, 5);
    EXPECT_TRUE(run->check(0, 5).ok);
    EXPECT_FALSE(run->check(5, 10).ok);
    run->run(5, 10);
    EXPECT_TRUE(run->check(5, 10).ok);
    EXPECT_EQ(run->partial()["chunks"].get<u64>(), 10u);
    EXPECT_EQ(run->partial()["bytes"].get<u64>(), 1000u);
}

}  // namespace
