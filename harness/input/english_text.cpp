#include "input/english_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "util/files.hpp"

namespace parsweep {

namespace {

// Common English words in order of frequency, the first ~100 after the usual corpus counts,
// then words of the plays; the workshop's dog, cat, boy and girl sit where a play's nouns do.
constexpr std::array<std::string_view, 240> kVocabulary = {
    "the",      "and",    "to",     "of",      "I",      "a",       "you",     "my",      "in",
    "that",     "is",     "not",    "it",      "with",   "me",      "his",     "be",      "your",
    "for",      "this",   "have",   "he",      "thou",   "as",      "so",      "him",     "will",
    "what",     "but",    "all",    "her",     "thy",    "do",      "no",      "by",      "shall",
    "if",       "are",    "we",     "thee",    "our",    "lord",    "on",      "good",    "now",
    "from",     "they",   "sir",    "at",      "let",    "would",   "more",    "well",    "was",
    "then",     "or",     "there",  "which",   "how",    "their",   "here",    "when",    "them",
    "like",     "she",    "love",   "come",    "an",     "man",     "know",    "say",     "may",
    "us",       "one",    "make",   "see",     "upon",   "must",    "such",    "should",  "yet",
    "did",      "go",     "why",    "king",    "were",   "had",     "hath",    "too",     "out",
    "some",     "who",    "can",    "time",    "than",   "mine",    "take",    "never",   "tell",
    "speak",    "night",  "day",    "give",    "think",  "heart",   "life",    "men",     "old",
    "death",    "great",  "very",   "hear",    "father", "world",   "much",    "true",    "first",
    "eyes",     "way",    "two",    "nothing", "done",   "blood",   "sweet",   "fair",    "other",
    "house",    "son",    "boy",    "name",    "friend", "poor",    "hand",    "both",    "honour",
    "again",    "where",  "could",  "own",     "word",   "nay",     "grace",   "noble",   "god",
    "whose",    "dead",   "heaven", "live",    "queen",  "brother", "look",    "being",   "dog",
    "master",   "thing",  "while",  "young",   "mother", "little",  "every",   "girl",    "ever",
    "fear",     "long",   "find",   "once",    "head",   "might",   "madam",   "part",    "fool",
    "prince",   "letter", "bear",   "duke",    "court",  "cat",     "play",    "soul",    "gentle",
    "business", "lady",   "words",  "wife",    "sword",  "peace",   "war",     "away",    "last",
    "hour",     "news",   "whom",   "villain", "crown",  "answer",  "matter",  "fortune", "many",
    "face",     "light",  "horse",  "still",   "joy",    "earth",   "stay",    "comes",   "nature",
    "tongue",   "dogs",   "cause",  "sleep",   "false",  "church",  "service", "strange", "honest",
    "wit",      "boys",   "cats",   "girls",   "tears",  "heavy",   "better",  "gold",    "friends",
    "hands",    "sea",    "cold",   "woman",   "fire",   "money",   "kiss",    "enough",  "wind",
    "sun",      "walk",   "home",   "mind",    "hope",   "body",
};

static_assert(std::none_of(kVocabulary.begin(), kVocabulary.end(),
                           [](std::string_view w) { return w.empty(); }),
              "kVocabulary's size is its number of words");

// Speakers that open a paragraph, as in the plays: "  KING. What news?"
constexpr std::array<std::string_view, 12> kSpeakers = {
    "KING",    "QUEEN",     "FOOL",  "PRINCE", "LADY",  "DUKE",
    "SERVANT", "MESSENGER", "CLOWN", "HERMIT", "NURSE", "CAPTAIN",
};

// Zipf–Mandelbrot: weight of rank r (0-based) is 1 / (r + 2.7), summed into a table that a
// uniform draw is looked up in.
std::vector<double> cumulative_weights() {
    std::vector<double> c(kVocabulary.size());
    double sum = 0;
    for (std::size_t r = 0; r < c.size(); ++r) c[r] = sum += 1.0 / (double(r) + 2.7);
    for (double& x : c) x /= sum;
    return c;
}

// Draws from the generator by hand: std::uniform_*_distribution's algorithms are the
// library's choice, and the text must be the same everywhere.
class Draw {
  public:
    explicit Draw(std::uint64_t seed) : rng_(seed) {}
    double unit() { return double(rng_() >> 11) * 0x1.0p-53; }  // [0, 1)
    std::size_t below(std::size_t n) { return std::size_t(unit() * double(n)); }
    bool chance(double p) { return unit() < p; }

  private:
    std::mt19937_64 rng_;
};

// Appends words, wrapping at about 70 columns: what the text is made of.
class Writer {
  public:
    explicit Writer(std::string& out) : out_(out) {}
    void word(std::string_view w) {
        if (column_ > 0 && column_ + 1 + w.size() > 70) newline();
        if (column_ > 0) {
            out_ += ' ';
            ++column_;
        }
        out_ += w;
        column_ += w.size();
    }
    void newline() {
        out_ += '\n';
        column_ = 0;
    }

  private:
    std::string& out_;
    std::size_t column_ = 0;
};

std::string capitalised(std::string_view w) {
    std::string s(w);
    s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

void sentence(Writer& w, Draw& draw, const std::vector<double>& cumulative) {
    const std::size_t words = 3 + draw.below(16);
    for (std::size_t i = 0; i < words; ++i) {
        const double u = draw.unit();
        const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
        std::string token(
            kVocabulary[std::min<std::size_t>(it - cumulative.begin(), kVocabulary.size() - 1)]);
        if (i == 0) token = capitalised(token);
        if (i + 1 == words) {
            const double end = draw.unit();
            token += end < 0.7 ? "." : end < 0.85 ? "?" : end < 0.95 ? "!" : ";";
        } else if (draw.chance(0.08)) {
            token += ',';
        }
        w.word(token);
    }
}

}  // namespace

std::string english_like_text(std::uint64_t bytes, std::uint64_t seed) {
    const std::string header = fmt::format(
        "{} (English-like word frequencies, seed {}): it is not Shakespeare.\n"
        "`make data` fetches the workshop's text, t8.shakespeare.txt.\n\n",
        kGeneratedTextMarker, seed);
    if (bytes < header.size() + 1)
        throw std::invalid_argument(fmt::format("a generated text needs at least {} bytes (got {})",
                                                header.size() + 1, bytes));
    const auto cumulative = cumulative_weights();
    Draw draw(seed);
    std::string out = header;
    out.reserve(bytes + 256);
    Writer w(out);
    while (out.size() < bytes) {
        w.word(fmt::format("  {}.", kSpeakers[draw.below(kSpeakers.size())]));  // as in the plays
        const std::size_t sentences = 1 + draw.below(6);
        for (std::size_t s = 0; s < sentences; ++s) sentence(w, draw, cumulative);
        w.newline();
        w.newline();
    }
    // Exactly `bytes`: the word the end cuts through becomes blanks, and the last byte a
    // newline, so every word in the file is whole.
    out.resize(bytes);
    std::size_t keep = out.find_last_of(" \n");
    for (std::size_t i = keep + 1; i < out.size(); ++i) out[i] = ' ';
    out.back() = '\n';
    return out;
}

void write_english_like_text(const std::filesystem::path& out, std::uint64_t bytes,
                             std::uint64_t seed) {
    write_atomic(out, english_like_text(bytes, seed));
}

}  // namespace parsweep
