// adapters/process_backend.hpp - the run engine's runners as real processes:
// a worker_pool, and a function that turns a slot's tests into a command.
#pragma once

#include <functional>
#include <span>

#include "run_engine.hpp"
#include "worker_pool.hpp"

namespace testr {

/// Builds the runner for these planned positions in `slot` (its command,
/// with $IDFILE written if it needs one); empty `tests` with `whole_suite`.
using runner_spec_builder =
    std::function<result<worker_spec>(unsigned slot, std::span<const std::size_t> tests, bool whole_suite)>;

class process_backend final : public runner_backend {
public:
    explicit process_backend(runner_spec_builder build, process::loop_options opts = {});

    result<runner_id, start_error> start(unsigned slot, std::span<const std::size_t> tests, bool whole_suite) override;
    void stop(runner_id r) override { pool_.stop(r); }
    result<wait_status> wait(runner_events& to, std::chrono::milliseconds tick) override;
    std::size_t active() const override { return pool_.active(); }
    double now() const override;

private:
    runner_spec_builder build_;
    runner_events* to_ = nullptr;  // while inside wait()
    worker_pool pool_;
};

}  // namespace testr
