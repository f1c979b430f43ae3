#include "util/units.hpp"

#include <fmt/format.h>

namespace parsweep {

std::string format_bytes(double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) b /= 1024, ++u;
    return fmt::format("{:.1f} {}", b, units[u]);
}

std::string format_seconds(double s) {
    if (s < 0) return fmt::format("-{}", format_seconds(-s));  // below a reference: noise
    if (s >= 100) return fmt::format("{:.0f} s", s);
    if (s >= 1) return fmt::format("{:.3g} s", s);
    if (s >= 1e-3) return fmt::format("{:.3g} ms", s * 1e3);
    return fmt::format("{:.3g} µs", s * 1e6);
}

std::string format_duration(double s) {
    if (s < 0) s = 0;
    const long t = static_cast<long>(s + 0.5);
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                     : fmt::format("{}:{:02}", t / 60, t % 60);
}

}  // namespace parsweep
