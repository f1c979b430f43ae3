#include "input/corpus.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace parsweep {

namespace fs = std::filesystem;

std::uint64_t parse_size(const std::string& text) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        throw std::invalid_argument("not a size: \"" + text + "\" (e.g. 1G, 512M, 64k)");
    }
    std::string unit = text.substr(used);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
    if (unit.size() == 2 && (unit[1] == 'i' || unit[1] == 'I')) unit.pop_back();
    double mult = 1;
    if (unit.empty())
        mult = 1;
    else if (unit == "k" || unit == "K")
        mult = 1024.0;
    else if (unit == "m" || unit == "M")
        mult = 1024.0 * 1024;
    else if (unit == "g" || unit == "G")
        mult = 1024.0 * 1024 * 1024;
    else if (unit == "t" || unit == "T")
        mult = 1024.0 * 1024 * 1024 * 1024;
    else
        throw std::invalid_argument("unknown size unit in \"" + text + "\" (use k, M, G or T)");
    if (!(value > 0)) throw std::invalid_argument("size must be positive: \"" + text + "\"");
    return static_cast<std::uint64_t>(value * mult);
}

std::uint64_t build_corpus(const fs::path& source, const fs::path& out, std::uint64_t bytes) {
    std::ifstream in(source, std::ios::binary);
    if (!in)
        throw std::runtime_error(
            fmt::format("cannot read {}: {}", source.string(), std::strerror(errno)));
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (text.empty()) throw std::runtime_error(source.string() + " is empty");

    fs::path tmp = out;
    tmp += fmt::format(".tmp.{}", getpid());
    std::uint64_t written = 0;
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f)
            throw std::runtime_error(
                fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
        while (written + text.size() <= bytes) {
            f.write(text.data(), static_cast<std::streamsize>(text.size()));
            written += text.size();
        }
        // The last, partial copy ends after its last newline within the budget.
        std::size_t left = static_cast<std::size_t>(bytes - written);
        std::size_t cut = left ? text.rfind('\n', left - 1) : std::string::npos;
        if (cut != std::string::npos) {
            f.write(text.data(), static_cast<std::streamsize>(cut + 1));
            written += cut + 1;
        }
        f.flush();
        if (!f) {
            std::error_code ec;
            fs::remove(tmp, ec);
            throw std::runtime_error("cannot write " + tmp.string() + " (disk full?)");
        }
    }
    if (written == 0) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw std::runtime_error(
            fmt::format("{} bytes is less than one line of {}", bytes, source.string()));
    }
    fs::rename(tmp, out);
    return written;
}

}  // namespace parsweep
