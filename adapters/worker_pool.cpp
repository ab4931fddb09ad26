// adapters/worker_pool.cpp - see worker_pool.hpp.
#include "worker_pool.hpp"

#include <algorithm>
#include <chrono>

namespace testr {

std::string worker_tag(unsigned slot) { return "worker-" + std::to_string(slot); }

namespace {
class subunit_reader final : public stream_reader {
public:
    explicit subunit_reader(subunit::decoder::handler emit) : decoder_(std::move(emit)) {}
    void feed(std::string_view bytes) override { decoder_.feed(bytes); }
    bool finish(const process::exit_status*, bool) override {
        decoder_.finish();
        return true;
    }

private:
    subunit::decoder decoder_;
};
}  // namespace

tagged_decoder::tagged_decoder(unsigned slot, handler on_event, const reader_factory& reader)
    : tagged_decoder(worker_tag(slot), std::move(on_event), reader) {}

tagged_decoder::tagged_decoder(std::string tag, handler on_event, const reader_factory& reader)
    : tag_(std::move(tag)), on_event_(std::move(on_event)) {
    subunit::decoder::handler emit_it = [this](const subunit::event_view& e, std::string_view) { emit(e); };
    reader_ = reader ? reader(std::move(emit_it)) : std::make_unique<subunit_reader>(std::move(emit_it));
}

void tagged_decoder::emit(const subunit::event_view& e) {
    subunit::event_view& tagged = tagged_;
    tagged = e;  // into the tags' old capacity: no allocation per event
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

subunit::event synthetic_event(std::string_view id, unsigned slot, std::string why, subunit::status s) {
    subunit::event e;
    e.test_id = std::string(id);
    e.test_status = s;
    e.tags = {worker_tag(slot)};
    e.time = subunit::to_timestamp(std::chrono::system_clock::now());
    e.file_name = "traceback";
    e.mime_type = "text/plain;charset=utf8";
    e.file_bytes = std::move(why);
    e.eof = true;
    return e;
}

subunit::event synthetic_failure(std::string_view id, unsigned slot, std::string why) {
    return synthetic_event(id, slot, std::move(why), subunit::status::fail);
}

subunit::event returncode_event(unsigned slot, const process::exit_status& status) {
    std::string why = "returncode ";
    if (status.signal) why += std::to_string(-status.signal) + " (" + process::describe(status) + ")";
    else if (status.code > 128) why += std::to_string(status.code) + " (" + process::describe(status) + ")";
    else why += std::to_string(status.code);
    return synthetic_failure("process-returncode", slot, std::move(why));
}

void worker_pool::finish(runner& r, const process::exit_status& status) {
    const bool unexplained = r.decoder->finish(status, r.stopped_by_caller);
    if (unexplained && !status.success() && !r.stopped_by_caller && !status.interrupted) {
        const subunit::event e = returncode_event(r.slot, status);
        r.decoder->emit(subunit::to_view(e));
    }
    r.reported = true;
    if (sink_.on_exit) sink_.on_exit(r.id, r.slot, status);
}

result<runner_id, process::error> worker_pool::start(worker_spec spec) {
    auto r = std::make_unique<runner>();
    r->id = runners_.size() + 1;
    r->slot = spec.slot;
    runner* raw = r.get();
    r->decoder = std::make_unique<tagged_decoder>(
        spec.slot,
        [this, raw](const subunit::event_view& e, std::string_view encoded) {
            if (sink_.on_event) sink_.on_event(raw->id, raw->slot, e, encoded);
        },
        spec.reader);
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

std::optional<double> worker_pool::cpu_seconds(runner_id r) const {
    if (r == 0 || r > runners_.size() || runners_[r - 1]->reported) return std::nullopt;
    return loop_.cpu_seconds(runners_[r - 1]->child);
}

void worker_pool::stop(runner_id r) {
    if (r == 0 || r > runners_.size() || runners_[r - 1]->reported) return;
    runners_[r - 1]->stopped_by_caller = true;
    loop_.stop(runners_[r - 1]->child);
}

result<pool_outcome, process::error> worker_pool::poll(std::chrono::milliseconds tick) {
    auto status = loop_.poll_once(tick);
    if (!status) return unexpected(std::move(status).error());
    if (status->interrupts >= 2 && !killed_) {
        // A second Ctrl-C: no more grace periods.
        loop_.kill_all();
        killed_ = true;
    }
    return pool_outcome{loop_.interrupts()};
}

}  // namespace testr
