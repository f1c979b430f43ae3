// The kernel registry: one entry per kernel. Each kernels/<id>.cpp defines
// `const Kernel& <id>_kernel()`; list its id here and nowhere else.
#include "kernel.hpp"

#define PARSWEEP_KERNELS(X) \
    X(square)               \
    X(wordcount)            \
    X(invert)               \
    X(fault)

namespace parsweep {

#define PARSWEEP_DECLARE(id) const Kernel& id##_kernel();
PARSWEEP_KERNELS(PARSWEEP_DECLARE)
#undef PARSWEEP_DECLARE

const std::vector<const Kernel*>& kernels() {
#define PARSWEEP_ENTRY(id) &id##_kernel(),
    static const std::vector<const Kernel*> all = {PARSWEEP_KERNELS(PARSWEEP_ENTRY)};
#undef PARSWEEP_ENTRY
    return all;
}

const Kernel* find_kernel(std::string_view id) {
    for (const Kernel* k : kernels())
        if (k->id() == id) return k;
    return nullptr;
}

}  // namespace parsweep
