// testr/doctest_subunit.hpp - a doctest binary that speaks subunit v2 on
// stdout, so testr (testrepository), testr-mini or any subunit tool runs it.
//
//   #define DOCTEST_CONFIG_IMPLEMENT
//   #include <testr/doctest_subunit.hpp>
//   int main(int argc, char** argv) { return testr::reporters::doctest_subunit_main(argc, argv); }
//
// `--list` writes each test case as an `exists` event; `--load-list FILE`
// runs the test cases named in FILE (exactly: case-sensitive, commas and
// backslashes escaped); other arguments go to doctest. Exit code 0 once the
// tests ran, whatever their outcomes (testr counts a non-zero exit as a
// failure of its own). The reporter alone is also usable as
// `--reporters=subunit`. Ids are test case names.
#pragma once

#include "subunit_writer.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace testr::reporters {

struct doctest_subunit_reporter : public doctest::IReporter {
    explicit doctest_subunit_reporter(const doctest::ContextOptions&) : out_(capture_.real_stdout()) {}

    void report_query(const doctest::QueryData& q) override {
        for (unsigned i = 0; i < q.num_data; ++i) out_.exists(q.data[i]->m_name);
    }
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData& t) override {
        id_ = t.m_name;
        file_ = t.m_file.c_str();
        line_ = t.m_line;
        traceback_.clear();
        out_.start(id_);
        capture_.begin();
    }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats& s) override {
        auto printed = capture_.end();
        if (!printed.empty()) out_.file(id_, "stdout", printed);
        if (!traceback_.empty()) out_.file(id_, "traceback", traceback_);
        out_.stop(id_, s.testCaseSuccess ? status::success : status::fail);
    }
    void test_case_exception(const doctest::TestCaseException& e) override {
        traceback_ += file_ + ":" + std::to_string(line_) + (e.is_crash ? ": crash: " : ": exception: ") +
                      e.error_string.c_str() + "\n";
    }
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData& a) override {
        if (!a.m_failed) return;
        traceback_ += std::string(a.m_file) + ":" + std::to_string(a.m_line) + ": " +
                      doctest::assertString(a.m_at) + "( " + a.m_expr + " ) is NOT correct!\n";
        if (a.m_threw) traceback_ += std::string("  threw: ") + a.m_exception.c_str() + "\n";
        else traceback_ += std::string("  values: ") + doctest::assertString(a.m_at) + "( " + a.m_decomp.c_str() + " )\n";
    }
    void log_message(const doctest::MessageData& m) override {
        if (!(m.m_severity & (doctest::assertType::is_check | doctest::assertType::is_require))) return;
        traceback_ += std::string(m.m_file) + ":" + std::to_string(m.m_line) + ": " + m.m_string.c_str() + "\n";
    }
    void test_case_skipped(const doctest::TestCaseData&) override {}  // includes those filtered out

private:
    stdout_capture capture_;
    subunit_writer out_;
    std::string id_, file_, traceback_;
    unsigned line_ = 0;
};

/// doctest's filter syntax: `,` separates, `\` escapes `,` and `\`.
inline std::string doctest_subunit_filter(const std::vector<std::string>& ids) {
    std::string f;
    for (const auto& id : ids) {
        if (!f.empty()) f += ',';
        for (char c : id) {
            if (c == ',' || c == '\\') f += '\\';
            f += c;
        }
    }
    return f;
}

inline int doctest_subunit_main(int argc, char** argv) {
    auto args = testr_args::parse(argc, argv);
    if (!args.error.empty()) {
        std::fprintf(stderr, "%s\n", args.error.c_str());
        return 2;
    }
    if (args.load && args.ids.empty()) return 0;  // an empty list runs nothing
    std::vector<std::string> extra = {"--reporters=subunit"};
    if (args.list) extra.push_back("--list-test-cases");
    if (args.load) {
        extra.push_back("--case-sensitive=true");
        extra.push_back("--test-case=" + doctest_subunit_filter(args.ids));
    }
    std::vector<char*> av(argv, argv + argc);
    for (auto& e : extra) av.push_back(e.data());
    av.push_back(nullptr);
    doctest::Context ctx(static_cast<int>(av.size() - 1), av.data());
    (void)ctx.run();
    // The outcomes are in the stream; testr reports any other exit code as a
    // failing "process-returncode" test.
    return 0;
}

}  // namespace testr::reporters

REGISTER_REPORTER("subunit", 1, testr::reporters::doctest_subunit_reporter);
