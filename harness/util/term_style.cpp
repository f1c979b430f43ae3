#include "util/term_style.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/color.h>

namespace parsweep {

bool use_colour(std::FILE* stream) {
    return stream && std::getenv("NO_COLOR") == nullptr && isatty(fileno(stream));
}

std::string error_label(std::FILE* stream) {
    if (!use_colour(stream)) return "error:";
    return fmt::format(fmt::emphasis::bold | fg(fmt::terminal_color::red), "error:");
}

std::string good_text(std::FILE* stream, std::string_view text) {
    if (!use_colour(stream)) return std::string(text);
    return fmt::format(fg(fmt::terminal_color::green), "{}", text);
}

std::string bad_text(std::FILE* stream, std::string_view text) {
    if (!use_colour(stream)) return std::string(text);
    return fmt::format(fg(fmt::terminal_color::red), "{}", text);
}

}  // namespace parsweep
