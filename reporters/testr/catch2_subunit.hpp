// testr/catch2_subunit.hpp - a Catch2 (v2) binary that speaks subunit v2 on
// stdout, so testr (testrepository), testr-mini or any subunit tool runs it.
//
//   #define CATCH_CONFIG_RUNNER
//   #include <testr/catch2_subunit.hpp>
//   int main(int argc, char** argv) { return testr::reporters::catch2_subunit_main(argc, argv); }
//
// `--list` writes each test case as an `exists` event; `--load-list FILE`
// runs the test cases named in FILE (through Catch2's --input-file, each name
// quoted and escaped); other arguments go to Catch2. Exit code 0 once the
// tests ran, whatever their outcomes (testr counts a non-zero exit as a
// failure of its own). The reporter alone is also usable as
// `--reporter subunit`. Ids are test case names.
#pragma once

#include "subunit_writer.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace testr::reporters {

struct catch2_subunit_reporter : public Catch::StreamingReporterBase<catch2_subunit_reporter> {
    explicit catch2_subunit_reporter(const Catch::ReporterConfig& config)
        : StreamingReporterBase(config), out_(capture_.real_stdout()) {}

    static std::string getDescription() { return "subunit v2 on stdout, for testr"; }

    void assertionStarting(const Catch::AssertionInfo&) override {}
    bool assertionEnded(const Catch::AssertionStats& s) override {
        const auto& r = s.assertionResult;
        if (r.isOk()) return true;
        traceback_ += r.getSourceInfo().file;
        traceback_ += ":" + std::to_string(r.getSourceInfo().line) + ": ";
        // Catch2 copies the result's own message into infoMessages.
        if (r.hasExpression()) {
            traceback_ += r.getExpressionInMacro() + " is NOT correct!\n";
            if (r.hasExpandedExpression()) traceback_ += "  values: " + r.getExpandedExpression() + "\n";
            for (const auto& m : s.infoMessages) traceback_ += "  with: " + m.message + "\n";
            return true;
        }
        const auto kind = r.getResultType();
        traceback_ += kind == Catch::ResultWas::ThrewException        ? "exception:"
                      : kind == Catch::ResultWas::FatalErrorCondition ? "fatal error:"
                                                                      : "FAIL:";
        for (const auto& m : s.infoMessages) traceback_ += " " + m.message;
        traceback_ += "\n";
        return true;
    }
    void testCaseStarting(const Catch::TestCaseInfo& t) override {
        StreamingReporterBase::testCaseStarting(t);
        id_ = t.name;
        traceback_.clear();
        out_.start(id_);
        capture_.begin();
    }
    void testCaseEnded(const Catch::TestCaseStats& s) override {
        auto printed = capture_.end() + s.stdOut + s.stdErr;
        if (!printed.empty()) out_.file(id_, "stdout", printed);
        if (!traceback_.empty()) out_.file(id_, "traceback", traceback_);
        out_.stop(id_, s.totals.assertions.allOk() ? status::success : status::fail);
        StreamingReporterBase::testCaseEnded(s);
    }

private:
    stdout_capture capture_;
    subunit_writer out_;
    std::string id_, traceback_;
};

/// One line of Catch2's --input-file: a quoted name, `\` before the
/// characters its test-spec parser reads specially.
inline std::string catch2_subunit_spec_line(const std::string& id) {
    std::string p = "\"";
    for (char c : id) {
        if (c == '"' || c == '\\' || c == '*' || c == ',' || c == '[' || c == ']' || c == '~') p += '\\';
        p += c;
    }
    return p + "\"\n";
}

inline int catch2_subunit_main(int argc, char** argv) {
    auto args = testr_args::parse(argc, argv);
    if (!args.error.empty()) {
        std::fprintf(stderr, "%s\n", args.error.c_str());
        return 2;
    }
    if (args.load && args.ids.empty()) return 0;  // an empty list runs nothing
    std::string spec_path;
    std::vector<std::string> extra = {"--reporter", "subunit"};
    if (args.load) {
        char tmpl[] = "/tmp/testr-catch2-list.XXXXXX";
        int fd = ::mkstemp(tmpl);
        if (fd < 0) {
            std::fprintf(stderr, "cannot create a temporary file for --load-list\n");
            return 2;
        }
        ::close(fd);
        spec_path = tmpl;
        std::string all;
        for (const auto& id : args.ids) all += catch2_subunit_spec_line(id);
        std::ofstream(spec_path) << all;
        extra.push_back("--input-file");
        extra.push_back(spec_path);
    }
    std::vector<char*> av(argv, argv + argc);
    for (auto& e : extra) av.push_back(e.data());
    // Catch2 allows one Session per process.
    Catch::Session session;
    int rc = session.applyCommandLine(static_cast<int>(av.size()), av.data());
    if (rc == 0 && args.list) {
        subunit_writer w;
        for (const auto& t : Catch::filterTests(Catch::getAllTestCasesSorted(session.config()),
                                                session.config().testSpec(), session.config()))
            w.exists(t.name);
    } else if (rc == 0) {
        // The outcomes are in the stream; testr reports any other exit code
        // as a failing "process-returncode" test.
        (void)session.run();
    }
    if (!spec_path.empty()) ::unlink(spec_path.c_str());
    return rc;
}

CATCH_REGISTER_REPORTER("subunit", catch2_subunit_reporter)

}  // namespace testr::reporters
