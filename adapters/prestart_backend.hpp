// adapters/prestart_backend.hpp - runners started before their tests are
// known, so that their imports and discovery overlap the listing, the plan
// and the tests of the runner before them.
//
// Each pre-started runner is given a named pipe as its $IDFILE. The runners
// that matter (testtools.run, subunit.run, stestr's subunit_runner) open it
// only after importing and loading the suite, and block there; start()
// hands a runner its tests by writing them into its pipe. So a slot's next
// runner is already warm when its current one ends, and the first runners
// start while the tests are still being listed.
//
// Nothing depends on a runner taking the pipe well:
// * the pipe is replaced by a regular file holding the same ids as soon as
//   they are written, so a runner that opens its id file a second time
//   reads them again rather than blocking;
// * a runner that ends before opening its pipe, or has not opened it within
//   `patience` of its start, took none of its tests: it is stopped, its
//   output dropped, and its tests go to a runner with a plain id file under
//   the same runner id, so the engine sees one runner; every later runner of
//   the run then has a plain file too, and report().refused says why;
// * unused runners are stopped when their slot retires and at the end (the
//   pool kills what is left): none of their output reaches the results.
// The pipe is written by the same loop that reads the runners' output, a
// few milliseconds at a time, so a runner that reads slowly blocks no one
// and id lists larger than a pipe's buffer pass. SIGPIPE must be ignored
// (a runner may close its pipe unread); the CLI does so.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "process_backend.hpp"

namespace testr {

/// The pipes' private directory is `<temp root>/<this><pid>-XXXXXX`, so the
/// directory of a run killed with -9 can be told and removed
/// (remove_dead_private_dirs, atomic_file.hpp).
inline constexpr std::string_view pipe_dir_prefix = "testr-mini-pipes-";

/// Builds a pre-started runner for `slot` whose id file is `idfile`.
using prestart_spec_builder = std::function<result<worker_spec>(unsigned slot, const std::string& idfile)>;
/// What an id file for these planned positions holds (one id per line),
/// or why they cannot be listed in one.
using id_text_builder = std::function<result<std::string>(std::span<const std::size_t> tests)>;

struct prestart_options {
    std::size_t slots = 1;
    /// Keep a spare runner warming up in each slot beside the busy one:
    /// worth it when a slot runs several runners (a dynamic queue).
    bool spares = false;
    /// Seconds a runner given tests may take to open its pipe.
    double patience = 10;
};

/// What the pre-starting did, for the summary and the repository.
struct prestart_report {
    /// Why the pipes were given up for this run (empty: they were not).
    std::string refused;
    /// Seconds from spawning a pre-started runner to its opening the pipe:
    /// its imports and discovery, i.e. the start it hid.
    std::vector<double> ready_after;
    /// CPU seconds each had used by then: what its start takes from the
    /// tests running beside it on a busy machine.
    std::vector<double> ready_cpu;
};

class prestart_backend final : public runner_backend {
public:
    /// The runners are pre-started by `prestart`; set_plain, once the ids
    /// are known, says how to write them and how to start a runner that is
    /// not pre-started (a plain id file, or the whole suite).
    prestart_backend(prestart_spec_builder prestart, prestart_options opts, process::loop_options loop = {});
    ~prestart_backend() override;
    prestart_backend(const prestart_backend&) = delete;
    prestart_backend& operator=(const prestart_backend&) = delete;

    void set_plain(runner_spec_builder plain, id_text_builder id_text) {
        plain_ = std::move(plain);
        id_text_ = std::move(id_text);
    }
    /// Whether a slot's next runner warms up while its current one runs.
    void keep_spares(bool on) { opts_.spares = on; }
    /// Starts the first runner of every slot now. Errors: the pipes'
    /// directory could not be made (nothing is started then).
    result<void> prestart();

    result<runner_id, start_error> start(unsigned slot, std::span<const std::size_t> tests, bool whole_suite) override;
    void stop(runner_id r) override;
    void retire(unsigned slot) override;
    result<wait_status> wait(runner_events& to, std::chrono::milliseconds tick) override;
    std::size_t active() const override { return active_; }
    double now() const override;

    const prestart_report& report() const noexcept { return report_; }

private:
    struct runner;
    runner* spawn_spare(unsigned slot);
    result<runner_id, start_error> start_plain(unsigned slot, std::span<const std::size_t> tests, bool whole_suite,
                                               runner_id as);
    void give_up_pipes(std::string why);
    void service(runner& r, double t);
    void feed_pipe(runner& r);
    void replace_by_file(runner& r);
    void flush(runner& r);
    static bool deliverable(const runner& r);
    void on_event(runner_id pool_id, const subunit::event_view& e, std::string_view encoded);
    void on_stderr(runner_id pool_id, std::string_view bytes);
    void on_exit(runner_id pool_id, const process::exit_status& status);
    runner* by_pool(runner_id pool_id);

    /// The pipes' directory and what is in it, removed once the pool
    /// (declared after it, so destroyed first) has killed its runners.
    struct pipe_dir {
        std::string path;
        std::vector<std::string> files;
        ~pipe_dir();
    };

    prestart_spec_builder prestart_;
    runner_spec_builder plain_;
    id_text_builder id_text_;
    prestart_options opts_;
    pipe_dir dir_;
    prestart_report report_;
    std::map<runner_id, std::unique_ptr<runner>> by_pool_;  // every runner, by its pool id
    std::map<runner_id, runner_id> pool_of_;               // engine id -> pool id
    std::vector<runner*> spare_;                           // per slot: warming up, not yet handed out
    runner_id next_id_ = 1;
    std::size_t active_ = 0;
    bool pipes_ok_ = true;
    runner_events* to_ = nullptr;  // while inside wait()
    worker_pool pool_;
};

}  // namespace testr
