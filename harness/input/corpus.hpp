// `parsweep corpus`: a large text built from a smaller one, for the workshop's "count words
// in 10 GB of books" exercise on machines that cannot download 10 GB.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace parsweep {

// "1G", "512M", "64k", "1000" (binary units: k = 1024) → bytes. Throws std::invalid_argument.
std::uint64_t parse_size(const std::string& text);

// Writes copies of `source` to `out` until `bytes` is reached; the last copy is cut after a
// newline so no word is split by the cut. Written through a temporary file and renamed, so
// `out` is complete or absent. Returns the bytes written (≤ bytes, > 0 unless source is empty).
std::uint64_t build_corpus(const std::filesystem::path& source, const std::filesystem::path& out,
                           std::uint64_t bytes);

}  // namespace parsweep
