#include "util/did_you_mean.hpp"

#include <algorithm>
#include <cctype>

namespace parsweep {

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diag = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                std::size_t up = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                                   diag + (std::tolower(a[i - 1]) != std::tolower(b[j - 1]))});
                diag = up;
            }
        }
        return row[b.size()];
    };
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        std::size_t d = distance(word, c);
        if (d < best_d) best_d = d, best = c;
    }
    return best;
}

std::string did_you_mean_clause(const std::string& word,
                                const std::vector<std::string>& candidates) {
    const std::string hint = did_you_mean(word, candidates);
    return hint.empty() ? "" : "; did you mean \"" + hint + "\"?";
}

}  // namespace parsweep
