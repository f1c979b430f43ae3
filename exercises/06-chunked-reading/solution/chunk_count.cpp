/*
 * Lesson 06 — count_chunk: count the words of one chunk of a text read in chunks.
 *
 * The solution. The rule: a word belongs to the chunk in which it STARTS. So skip the rest of
 * a word the previous chunk started, and finish your last word even past `end`.
 */
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../chunk_count.hpp"

namespace lesson06 {

Counts count_chunk(std::string_view text, std::size_t begin, std::size_t end,
                   const std::vector<std::string>& words) {
    Counts counts(words.size());
    std::size_t i = begin;
    // A word running into the chunk started in the previous one, which counts it: skip it.
    if (i > 0 && !is_space(text[i - 1]))
        while (i < end && !is_space(text[i])) ++i;
    while (i < end) {
        if (is_space(text[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;  // a word starts in this chunk: it is ours
        while (i < text.size() && !is_space(text[i])) ++i;  // finish it, past `end` if need be
        counts.add(text.substr(start, i - start), words);
    }
    return counts;
}

}  // namespace lesson06
