/*
 * Lesson 06 — count_chunk: count the words of one chunk of a text read in chunks.
 *
 * YOUR TASK: this counts the words it sees between `begin` and `end` — but a chunk boundary
 * does not care about words. A word cut by a boundary ("do|g") is counted twice, as two
 * pieces ("do" and "g"), and is no longer a "dog". Fix the TODO, then run
 * `make exercise N=06` until the check says correct.
 * (Reading the chunks, threads and verification are in ../chunk_count_kernel.cpp; what
 * `text` holds is in ../chunk_count.hpp.)
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
    // TODO(boundary): a word belongs to the chunk in which it STARTS. When the byte before
    // the chunk (text[begin - 1], if begin > 0) is not a space, the chunk starts in the middle
    // of a word the previous chunk counts: skip to its end first. And a word that starts here
    // but runs past `end` is still ours: finish it — `text` goes on past `end` for that.
    while (i < end) {
        if (is_space(text[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        while (i < end && !is_space(text[i])) ++i;  // stops at the chunk's end, mid-word
        counts.add(text.substr(start, i - start), words);
    }
    return counts;
}

}  // namespace lesson06
