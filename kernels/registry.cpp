// The kernel registry: one entry per kernel. Each kernels/<id>.cpp defines
// `const Kernel& <id>_kernel()`; list its id here and nowhere else. Kernels outside kernels/
// (a workshop exercise's, linked into its own binary) add themselves with register_kernel.
#include "kernel.hpp"

#define PARSWEEP_KERNELS(X) \
    X(square)               \
    X(wordcount)            \
    X(invert)               \
    X(pi)                   \
    X(fault)                \
    X(dgemm)                \
    X(triad)                \
    X(command)

namespace parsweep {

#define PARSWEEP_DECLARE(id) const Kernel& id##_kernel();
PARSWEEP_KERNELS(PARSWEEP_DECLARE)
#undef PARSWEEP_DECLARE

namespace {
// Function-local, so that registering from another file's static initializer works whatever
// the order in which the files' statics are initialised.
std::vector<const Kernel*>& registered() {
    static std::vector<const Kernel*> extra;
    return extra;
}
}  // namespace

bool register_kernel(const Kernel& kernel) {
    registered().push_back(&kernel);
    return true;
}

const std::vector<const Kernel*>& kernels() {
#define PARSWEEP_ENTRY(id) &id##_kernel(),
    static const std::vector<const Kernel*> all = [] {
        std::vector<const Kernel*> v = {PARSWEEP_KERNELS(PARSWEEP_ENTRY)};
        v.insert(v.end(), registered().begin(), registered().end());
        return v;
    }();
#undef PARSWEEP_ENTRY
    return all;
}

const Kernel* find_kernel(std::string_view id) {
    for (const Kernel* k : kernels())
        if (k->id() == id) return k;
    return nullptr;
}

}  // namespace parsweep
