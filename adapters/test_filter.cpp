// adapters/test_filter.cpp - see test_filter.hpp.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "test_filter.hpp"

#include <pcre2.h>

namespace testr {

struct test_filter::compiled {
    pcre2_code* code = nullptr;
    ~compiled() { pcre2_code_free(code); }
};

namespace {
struct match_data_deleter {
    void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
}  // namespace

bool test_filter::operator()(std::string_view id) const {
    if (patterns_.empty()) return true;
    // One match block per thread, grown on demand: filters run per test id.
    thread_local std::unique_ptr<pcre2_match_data, match_data_deleter> data(pcre2_match_data_create(16, nullptr));
    for (auto& p : patterns_) {
        int rc = pcre2_match(p->code, reinterpret_cast<PCRE2_SPTR>(id.data()), id.size(), 0, 0, data.get(), nullptr);
        if (rc >= 0 || rc == PCRE2_ERROR_NOMEMORY) return true;  // NOMEMORY: matched, ovector too small
    }
    return false;
}

result<test_filter> compile_test_filter(const std::vector<std::string>& patterns) {
    test_filter f;
    for (const auto& pattern : patterns) {
        int code = 0;
        PCRE2_SIZE offset = 0;
        auto c = std::make_shared<test_filter::compiled>();
        c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF, &code, &offset,
                                nullptr);
        if (!c->code) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(code, message, sizeof message);
            return fail("invalid test filter '" + pattern + "' at offset " + std::to_string(offset) + ": " +
                        reinterpret_cast<const char*>(message));
        }
        pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);  // best effort
        f.patterns_.push_back(std::move(c));
    }
    return f;
}

}  // namespace testr
