// Numbers with units, for people: bytes, seconds, durations.
#pragma once

#include <string>

namespace parsweep {

std::string format_bytes(double bytes);  // "1.5 GiB"
std::string format_seconds(double s);    // "1.37 ms", "2.5 s", "120 µs"
std::string format_duration(double s);   // "1:05", "2:03:07"

}  // namespace parsweep
