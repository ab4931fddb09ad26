// adapters/process_backend.cpp - see process_backend.hpp.
#include "process_backend.hpp"

namespace testr {

namespace {
double seconds(process::clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

process_backend::process_backend(runner_spec_builder build, process::loop_options opts)
    : build_(std::move(build)),
      pool_(worker_sink{
                [this](runner_id r, unsigned, const subunit::event_view& e, std::string_view encoded) {
                    if (to_) to_->event(r, e, encoded);
                },
                [this](runner_id r, unsigned, std::string_view bytes) {
                    if (to_) to_->stderr_bytes(r, bytes);
                },
                [this](runner_id r, unsigned, const process::exit_status& st) {
                    std::optional<double> first;
                    if (st.first_stdout) first = seconds(*st.first_stdout);
                    if (to_) to_->exited(r, st, first);
                },
            },
            opts) {}

result<runner_id, start_error> process_backend::start(unsigned slot, std::span<const std::size_t> tests,
                                                      bool whole_suite) {
    if (pool_.interrupts() > 0) return unexpected(start_error{true, "interrupted"});
    auto spec = build_(slot, tests, whole_suite);
    if (!spec) return unexpected(start_error{false, spec.error().message});
    spec->slot = slot;
    auto r = pool_.start(std::move(*spec));
    if (!r) return unexpected(start_error{r.error().interrupted || pool_.interrupts() > 0, r.error().message});
    return *r;
}

result<wait_status> process_backend::wait(runner_events& to, std::chrono::milliseconds tick) {
    to_ = &to;
    auto got = pool_.poll(tick);
    to_ = nullptr;
    if (!got) return fail(got.error().message);
    return wait_status{got->interrupts};
}

double process_backend::now() const { return seconds(process::clock::now().time_since_epoch()); }

}  // namespace testr
