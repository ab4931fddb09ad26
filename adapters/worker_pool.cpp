// adapters/worker_pool.cpp - see worker_pool.hpp.
#include "worker_pool.hpp"

#include <algorithm>
#include <chrono>

namespace testr {

std::string worker_tag(unsigned slot) { return "worker-" + std::to_string(slot); }

tagged_decoder::tagged_decoder(unsigned slot, handler on_event)
    : tag_(worker_tag(slot)),
      on_event_(std::move(on_event)),
      decoder_([this](const subunit::event_view& e, std::string_view) { emit(e); }) {}

void tagged_decoder::emit(const subunit::event_view& e) {
    subunit::event_view tagged = e;
    if (std::find(tagged.tags.begin(), tagged.tags.end(), std::string_view(tag_)) == tagged.tags.end())
        tagged.tags.push_back(tag_);
    scratch_.clear();
    if (auto ok = subunit::encode(tagged, scratch_); !ok) {
        // Decoded input is valid by construction; should encoding still
        // fail, keep the event as it came rather than drop it.
        scratch_.clear();
        (void)subunit::encode(e, scratch_);
    }
    if (on_event_) on_event_(tagged, scratch_);
}

struct worker_pool::runner {
    runner_id id;
    unsigned slot;
    process::child_id child = 0;
    bool reported = false;
    bool stopped_by_caller = false;
    std::unique_ptr<tagged_decoder> decoder;
};

worker_pool::worker_pool(worker_sink sink, process::loop_options opts) : sink_(std::move(sink)), loop_(opts) {}

worker_pool::~worker_pool() = default;

std::size_t worker_pool::active() const noexcept { return loop_.active(); }

subunit::event returncode_event(unsigned slot, const process::exit_status& status) {
    subunit::event e;
    e.test_id = "process-returncode";
    e.test_status = subunit::status::fail;
    e.tags = {worker_tag(slot)};
    e.time = subunit::to_timestamp(std::chrono::system_clock::now());
    e.file_name = "traceback";
    e.mime_type = "text/plain;charset=utf8";
    if (status.signal) e.file_bytes = "returncode " + std::to_string(-status.signal) + " (" + process::describe(status) + ")";
    else if (status.code > 128) e.file_bytes = "returncode " + std::to_string(status.code) + " (" + process::describe(status) + ")";
    else e.file_bytes = "returncode " + std::to_string(status.code);
    e.eof = true;
    return e;
}

void worker_pool::finish(runner& r, const process::exit_status& status) {
    r.decoder->finish();
    if (!status.success() && !r.stopped_by_caller && !status.interrupted) {
        const subunit::event e = returncode_event(r.slot, status);
        subunit::event_view v;
        v.test_id = *e.test_id;
        v.test_status = e.test_status;
        v.time = e.time;
        v.file_name = *e.file_name;
        v.mime_type = *e.mime_type;
        v.file_bytes = e.file_bytes;
        v.eof = true;
        r.decoder->emit(v);
    }
    r.reported = true;
    if (sink_.on_exit) sink_.on_exit(r.id, r.slot, status);
}

result<runner_id> worker_pool::start(worker_spec spec) {
    auto r = std::make_unique<runner>();
    r->id = runners_.size() + 1;
    r->slot = spec.slot;
    runner* raw = r.get();
    r->decoder = std::make_unique<tagged_decoder>(spec.slot, [this, raw](const subunit::event_view& e, std::string_view encoded) {
        if (sink_.on_event) sink_.on_event(raw->id, raw->slot, e, encoded);
    });
    process::options opts;
    opts.env = std::move(spec.env);
    opts.working_directory = std::move(spec.working_directory);
    opts.deadline = spec.deadline;
    opts.grace = spec.grace;
    process::callbacks cb;
    cb.on_output = [this, raw](process::child_id, process::stream s, std::string_view bytes) {
        if (s == process::stream::out) raw->decoder->feed(bytes);
        else if (sink_.on_stderr) sink_.on_stderr(raw->id, raw->slot, bytes);
    };
    cb.on_exit = [this, raw](process::child_id, const process::exit_status& status) { finish(*raw, status); };
    auto child = loop_.spawn_shell(spec.command, opts, std::move(cb));
    if (!child) return unexpected(std::move(child).error());
    r->child = *child;
    runners_.push_back(std::move(r));
    return raw->id;
}

void worker_pool::stop(runner_id r) {
    if (r == 0 || r > runners_.size() || runners_[r - 1]->reported) return;
    runners_[r - 1]->stopped_by_caller = true;
    loop_.stop(runners_[r - 1]->child);
}

std::optional<process::clock::duration> worker_pool::first_output(runner_id r) const {
    if (r == 0 || r > runners_.size()) return std::nullopt;
    auto t = loop_.times(runners_[r - 1]->child);
    if (!t || !t->first_stdout) return std::nullopt;
    return *t->first_stdout - t->started;
}

result<pool_outcome> worker_pool::run(std::chrono::milliseconds tick) {
    bool killed = false;
    while (loop_.active() > 0) {
        auto status = loop_.poll_once(tick);
        if (!status) return unexpected(std::move(status).error());
        if (status->interrupts >= 2 && !killed) {
            // A second Ctrl-C: no more grace periods.
            loop_.kill_all();
            killed = true;
        }
        if (sink_.on_tick) sink_.on_tick(process::clock::now());
    }
    return pool_outcome{loop_.interrupts()};
}

}  // namespace testr
