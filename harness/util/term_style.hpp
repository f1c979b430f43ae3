// Colour on a terminal: the summary's verdicts and the "error:" of messages. Only when the
// stream is a terminal and NO_COLOR is not set (https://no-color.org: any value, even
// empty), so that piped output, files and CI logs stay plain text.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace parsweep {

// Whether text written to `stream` may be coloured.
bool use_colour(std::FILE* stream);

// "error:", in bold red when use_colour(stream): the start of every error message.
std::string error_label(std::FILE* stream);

// `text` in green (good) or red (bad) when use_colour(stream), else as it is.
std::string good_text(std::FILE* stream, std::string_view text);
std::string bad_text(std::FILE* stream, std::string_view text);

}  // namespace parsweep
