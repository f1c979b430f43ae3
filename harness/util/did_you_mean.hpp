// Suggestions for a mistyped name, as git and cargo give them: for config keys, kernel names,
// parameter values, BLAS names, --only keys and the command line's commands and options.
#pragma once

#include <string>
#include <vector>

namespace parsweep {

// The closest of `candidates` to `word` when it is a plausible typo, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
// The tail of every "unknown …" message: `; did you mean "z"?` with z = did_you_mean(word,
// candidates), or "" when no candidate is close.
std::string did_you_mean_clause(const std::string& word,
                                const std::vector<std::string>& candidates);

}  // namespace parsweep
