// `parsweep corpus`: a text to count words in, copied from one or generated.
#include <cstdint>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "input/corpus.hpp"
#include "input/english_text.hpp"
#include "util/term_style.hpp"
#include "util/units.hpp"

namespace parsweep {

namespace {

constexpr int kBadInput = 2;

// `parsweep corpus`: copies of `from` up to `size`, or, without `from`, English-like text
// generated from `seed` (english_text.hpp).
struct CorpusOptions {
    std::string size;  // "" → the workshop text's size
    std::string from;  // "" → generate
    std::uint64_t seed = 1;
    std::string out;
};
int cmd_corpus(const CorpusOptions& options) {
    try {
        const std::uint64_t bytes =
            options.size.empty() ? kWorkshopTextBytes : parse_size(options.size);
        if (options.from.empty()) {
            write_english_like_text(options.out, bytes, options.seed);
            fmt::print("{}: {} bytes ({}) of generated English-like text (seed {})\n", options.out,
                       bytes, format_bytes(double(bytes)), options.seed);
            return 0;
        }
        const std::uint64_t written = build_corpus(options.from, options.out, bytes);
        fmt::print("{}: {} bytes ({}) from copies of {}\n", options.out, written,
                   format_bytes(double(written)), options.from);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{} {}\n", error_label(stderr), e.what());
        return kBadInput;
    }
}

}  // namespace

Command add_corpus_command(CLI::App& parsweep) {
    auto o = std::make_shared<CorpusOptions>();
    auto* cmd = parsweep.add_subcommand(
        "corpus",
        "a text to count words in: copies of one you have (--from), or generated "
        "English-like text (the workshop text's stand-in offline)");
    cmd->add_option("--size", o->size,
                    "size of the text, e.g. 1G, 512M (default: the workshop text's)");
    cmd->add_option("--from", o->from, "the text to copy (default: generate one)");
    cmd->add_option("--seed", o->seed, "the generated text's seed")->capture_default_str();
    cmd->add_option("--out", o->out, "the file to write")->required();

    return {cmd, [o] { return cmd_corpus(*o); }};
}

}  // namespace parsweep
