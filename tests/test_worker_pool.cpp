// The worker pool's tagging decoder and its pseudo-tests: what every
// runner's and every loaded stream's events become before they are stored.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "worker_pool.hpp"

using namespace testr;

namespace {
struct seen {
    subunit::event event;
    std::string encoded;
};

std::vector<seen> through(unsigned slot, const std::string& bytes) {
    std::vector<seen> out;
    tagged_decoder d(slot, [&](const subunit::event_view& e, std::string_view encoded) {
        out.push_back({subunit::to_event(e), std::string(encoded)});
    });
    d.feed(bytes);
    d.finish();
    return out;
}

std::string encoded(const subunit::event& e) {
    std::string s;
    REQUIRE(subunit::encode(e, s));
    return s;
}
}  // namespace

TEST_CASE("every event gains its worker tag once, keeps its own, and is re-encoded") {
    subunit::event a;
    a.test_id = "t.a";
    a.test_status = subunit::status::success;
    a.tags = {"slow"};
    subunit::event b = a;
    b.tags = {"worker-3"};
    const auto out = through(3, encoded(a) + encoded(b));
    REQUIRE(out.size() == 2);
    CHECK(out[0].event.tags == std::vector<std::string>{"slow", "worker-3"});
    CHECK(out[1].event.tags == std::vector<std::string>{"worker-3"});
    // The bytes handed on are exactly the tagged event's encoding.
    subunit::event tagged = a;
    tagged.tags.push_back("worker-3");
    CHECK(out[0].encoded == encoded(tagged));
    CHECK(out[1].encoded == encoded(b));
}

TEST_CASE("bytes outside packets become tagged stdout events, nothing dropped") {
    subunit::event a;
    a.test_id = "t.a";
    a.test_status = subunit::status::fail;
    const auto out = through(0, "hello\n" + encoded(a));
    REQUIRE(out.size() == 2);
    CHECK(out[0].event.file_name == std::optional<std::string>("stdout"));
    CHECK(out[0].event.file_bytes == "hello\n");
    CHECK(out[0].event.tags == std::vector<std::string>{"worker-0"});
    CHECK(out[1].event.test_id == std::optional<std::string>("t.a"));
}

TEST_CASE("process-returncode says the exit code, or the signal by name") {
    process::exit_status code;
    code.code = 2;
    auto e = returncode_event(1, code);
    CHECK(e.test_id == std::optional<std::string>("process-returncode"));
    CHECK(e.test_status == subunit::status::fail);
    CHECK(e.file_bytes == "returncode 2");
    CHECK(e.tags == std::vector<std::string>{"worker-1"});
    process::exit_status sig;
    sig.signal = 11;
    CHECK(returncode_event(0, sig).file_bytes == "returncode -11 (killed by SIGSEGV)");
    process::exit_status shell;
    shell.code = 137;
    CHECK(returncode_event(0, shell).file_bytes.find("returncode 137 (exit code 137 (SIGKILL") == 0);
}

TEST_CASE("an event the pool emits itself is tagged like the runner's") {
    std::vector<subunit::event> out;
    tagged_decoder d(5, [&](const subunit::event_view& e, std::string_view) { out.push_back(subunit::to_event(e)); });
    d.emit(subunit::to_view(synthetic_failure("t.x", 5, "why")));
    REQUIRE(out.size() == 1);
    CHECK(out[0].tags == std::vector<std::string>{"worker-5"});
    CHECK(out[0].file_name == std::optional<std::string>("traceback"));
    CHECK(out[0].file_bytes == "why");
}

namespace {
/// A reader of lines "ID STATUS"; says a failed exit is explained when told to.
class line_reader final : public stream_reader {
public:
    line_reader(subunit::decoder::handler emit, bool explains) : emit_(std::move(emit)), explains_(explains) {}
    void feed(std::string_view bytes) override { text_.append(bytes); }
    bool finish(const process::exit_status*, bool) override {
        auto space = text_.find(' ');
        subunit::event_view e;
        e.test_id = std::string_view(text_).substr(0, space);
        e.test_status = subunit::status::fail;
        emit_(e, {});
        return !explains_;
    }

private:
    subunit::decoder::handler emit_;
    bool explains_;
    std::string text_;
};

std::vector<subunit::event> run_with_reader(bool explains) {
    std::vector<subunit::event> out;
    worker_pool pool(worker_sink{[&](runner_id, unsigned, const subunit::event_view& e, std::string_view) {
                                     out.push_back(subunit::to_event(e));
                                 },
                                 {},
                                 {}});
    worker_spec spec;
    spec.slot = 2;
    spec.command = "echo 't.native fail'; exit 3";
    spec.reader = [explains](subunit::decoder::handler emit) -> std::unique_ptr<stream_reader> {
        return std::make_unique<line_reader>(std::move(emit), explains);
    };
    REQUIRE(pool.start(std::move(spec)));
    while (pool.active() > 0) REQUIRE(pool.poll(std::chrono::milliseconds(100)));
    return out;
}
}  // namespace

TEST_CASE("a runner's own reader: its events are tagged; process-returncode only when it leaves the exit unexplained") {
    const auto blamed = run_with_reader(true);
    REQUIRE(blamed.size() == 1);
    CHECK(blamed[0].test_id == std::optional<std::string>("t.native"));
    CHECK(blamed[0].tags == std::vector<std::string>{"worker-2"});
    const auto unexplained = run_with_reader(false);
    REQUIRE(unexplained.size() == 2);
    CHECK(unexplained[1].test_id == std::optional<std::string>("process-returncode"));
    CHECK(unexplained[1].file_bytes == "returncode 3");
}
