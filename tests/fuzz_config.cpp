// libFuzzer target: the config loader, from raw text to expanded points. Any input must end
// in a Sweep or in ConfigErrors — never a crash, a hang, another exception, or a sanitizer
// report. Seeded with the shipped configs (make fuzz).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sweep/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        // 2 cores and 1 GiB: "auto" grids and memory checks are exercised too.
        parsweep::Sweep sweep =
            parsweep::parse_sweep_text(text, "fuzz.json", {2, 1ull << 30, "fuzz"});
        for (const auto& p : sweep.points) (void)p.key();
        (void)sweep.expanded().dump();
    } catch (const parsweep::ConfigErrors&) {
        // The expected answer to a bad config.
    }
    return 0;
}
