// testr/gtest_subunit.hpp - a GoogleTest binary that speaks subunit v2 on
// stdout, so testr (testrepository), testr-mini or any subunit tool runs it.
//
//   #include <testr/gtest_subunit.hpp>
//   int main(int argc, char** argv) { return testr::reporters::gtest_subunit_main(argc, argv); }
//
// `--list` writes each test as an `exists` event; `--load-list FILE` runs the
// ids in FILE; every other argument goes to GoogleTest. Each test: inprogress,
// its stdout (captured) and failure messages ("FILE:LINE: Failure ...") as
// attachments, then success / fail / skip. Disabled tests are reported as
// skipped when selected. Exit code 0 once the tests ran, whatever their
// outcomes (testr counts a non-zero exit as a failure of its own). Ids are
// GoogleTest's full names (Suite.Test, Prefix/Suite.Test/0). Without --list
// or --load-list it runs every test.
#pragma once

#include "subunit_writer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

namespace testr::reporters {

class gtest_subunit_listener : public ::testing::EmptyTestEventListener {
public:
    gtest_subunit_listener() : out_(capture_.real_stdout()) {}

    void OnTestStart(const ::testing::TestInfo& t) override {
        id_ = std::string(t.test_suite_name()) + "." + t.name();
        traceback_.clear();
        out_.start(id_);
        capture_.begin();
    }
    void OnTestPartResult(const ::testing::TestPartResult& r) override {
        if (r.file_name()) traceback_ += std::string(r.file_name()) + ":" + std::to_string(r.line_number()) + ": ";
        traceback_ += r.skipped() ? "Skipped\n" : "Failure\n";
        traceback_ += r.message();
        traceback_ += "\n";
    }
    void OnTestEnd(const ::testing::TestInfo& t) override {
        auto printed = capture_.end();
        if (!printed.empty()) out_.file(id_, "stdout", printed);
        const auto* r = t.result();
        const bool skipped = r->Skipped();
        if (!traceback_.empty()) out_.file(id_, skipped ? "reason" : "traceback", traceback_);
        out_.stop(id_, r->Failed() ? status::fail : skipped ? status::skip : status::success);
    }
    void OnTestDisabled(const ::testing::TestInfo& t) override {
        std::string id = std::string(t.test_suite_name()) + "." + t.name();
        out_.start(id);
        out_.file(id, "reason", "disabled (DISABLED_ prefix)\n");
        out_.stop(id, status::skip);
    }

private:
    stdout_capture capture_;
    subunit_writer out_;
    std::string id_;
    std::string traceback_;
};

/// GoogleTest's filter has no escape; `?` stands for a reserved character.
inline std::string gtest_subunit_filter(const std::vector<std::string>& ids) {
    std::string f;
    for (const auto& id : ids) {
        if (!f.empty()) f += ':';
        for (char c : id) f += (c == '*' || c == '?' || c == ':' || c == '-') ? '?' : c;
    }
    return f;
}

inline int gtest_subunit_main(int argc, char** argv) {
    // A death test's child re-runs this binary to run one statement; it
    // must stay GoogleTest's own.
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--gtest_internal_run_death_test", 31) == 0) {
            ::testing::InitGoogleTest(&argc, argv);
            return RUN_ALL_TESTS();
        }
    auto args = testr_args::parse(argc, argv);
    if (!args.error.empty()) {
        std::fprintf(stderr, "%s\n", args.error.c_str());
        return 2;
    }
    ::testing::InitGoogleTest(&argc, argv);
    auto* unit = ::testing::UnitTest::GetInstance();
    if (args.list) {
        subunit_writer w;
        for (int i = 0; i < unit->total_test_suite_count(); ++i) {
            const auto* suite = unit->GetTestSuite(i);
            for (int j = 0; j < suite->total_test_count(); ++j)
                w.exists(std::string(suite->name()) + "." + suite->GetTestInfo(j)->name());
        }
        return 0;
    }
    if (args.load) {
        if (args.ids.empty()) return 0;  // an empty list runs nothing
        GTEST_FLAG_SET(filter, gtest_subunit_filter(args.ids));
    }
    auto& listeners = unit->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new gtest_subunit_listener);
    const int failed = RUN_ALL_TESTS();
    (void)failed;
    // The outcomes are in the stream; testr reports any other exit code as a
    // failing "process-returncode" test.
    return 0;
}

}  // namespace testr::reporters
