// A lesson kernel built around a built-in one: the built-in kernel (pi, invert, …) does the
// work and proves its result; the lesson adds what each worker does before it — the
// learner's code — and a verdict on that. Lessons 01 and 05 use it.
//
// In each worker, prepare() calls before(params) first, then the built-in kernel's prepare();
// check() fails with before()'s verdict when it failed, else gives the built-in check's; the
// merged result is the built-in kernel's, plus, for each fact before() reported, the list of
// every worker's value (in worker order). Everything else — parameters, items, memory, work,
// verify() — is the built-in kernel's.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel.hpp"

namespace lessons {

// What before() found in one worker.
struct Before {
    parsweep::Verdict verdict;                        // the learner's code, judged
    parsweep::json facts = parsweep::json::object();  // e.g. {"blas_threads": 2}
};

class KernelAround : public parsweep::Kernel {
  public:
    // `inner`: the id of the built-in kernel, looked up when first needed.
    explicit KernelAround(std::string_view inner) : inner_id_(inner) {}

    const std::vector<parsweep::ParamSpec>& params() const override { return inner().params(); }
    std::vector<parsweep::ParamError> validate(const parsweep::json& p) const override {
        return inner().validate(p);
    }
    std::uint64_t items(const parsweep::json& p) const override { return inner().items(p); }
    std::uint64_t batch_items(const parsweep::json& p) const override {
        return inner().batch_items(p);
    }
    std::uint64_t memory_bytes(const parsweep::json& p, std::uint64_t share,
                               int threads) const override {
        return inner().memory_bytes(p, share, threads);
    }
    parsweep::Work work(const parsweep::json& p) const override { return inner().work(p); }

    std::unique_ptr<parsweep::KernelRun> prepare(const parsweep::json& p,
                                                 const parsweep::Share& share) const final {
        Before before_run = before(p);
        return std::make_unique<Run>(inner().prepare(p, share), std::move(before_run));
    }
    parsweep::json merge(const parsweep::json& p,
                         const std::vector<parsweep::json>& partials) const final {
        parsweep::json result = inner().merge(p, partials);
        for (const parsweep::json& part : partials)
            for (const auto& [key, value] : part.at(kFacts).items()) result[key].push_back(value);
        return result;
    }
    parsweep::Verdict verify(const parsweep::json& p, const parsweep::json& result) const override {
        return inner().verify(p, result);
    }

  protected:
    // In the worker, before the built-in kernel prepares its share: runs the learner's code.
    virtual Before before(const parsweep::json& params) const = 0;

    const parsweep::Kernel& inner() const {
        const parsweep::Kernel* k = parsweep::find_kernel(inner_id_);
        if (!k) throw std::logic_error("lesson kernel: no built-in kernel " + inner_id_);
        return *k;
    }

  private:
    static constexpr const char* kFacts = "lesson_facts";  // the key in a worker's partial

    class Run final : public parsweep::KernelRun {
      public:
        Run(std::unique_ptr<parsweep::KernelRun> inner, Before before)
            : inner_(std::move(inner)), before_(std::move(before)) {}
        void stage(std::uint64_t b, std::uint64_t e) override { inner_->stage(b, e); }
        void run(std::uint64_t b, std::uint64_t e) override { inner_->run(b, e); }
        parsweep::Verdict check(std::uint64_t b, std::uint64_t e) override {
            parsweep::Verdict v = before_.verdict;
            v &= inner_->check(b, e);
            return v;
        }
        parsweep::json partial() const override {
            parsweep::json p = inner_->partial();
            p[kFacts] = before_.facts;
            return p;
        }

      private:
        std::unique_ptr<parsweep::KernelRun> inner_;
        Before before_;
    };

    std::string inner_id_;
};

}  // namespace lessons
