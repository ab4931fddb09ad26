// A GoogleTest binary for tests/e2e/test_native_run.py: tests of known
// durations, and tests that hang or abort when the project directory (the
// runner's working directory) holds a file of that name.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unistd.h>

namespace {
void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
bool exists(const char* name) { return ::access(name, F_OK) == 0; }
}  // namespace

TEST(Timing, Sleep300) { sleep_ms(300); }
TEST(Timing, Sleep100) { sleep_ms(100); }
TEST(Timing, Quick) {}
TEST(Ctl, MaybeHang) {
    std::printf("about to hang\n");
    std::fflush(stdout);
    if (exists("hang")) sleep_ms(60000);
}
TEST(Ctl, MaybeAbort) {
    std::printf("about to abort\n");
    std::fflush(stdout);
    if (exists("abort")) std::abort();
}
TEST(Ctl, Fails) { EXPECT_EQ(1, 2) << "one is not two"; }
class Work : public ::testing::TestWithParam<int> {};
TEST_P(Work, Step) { sleep_ms(20); }
INSTANTIATE_TEST_SUITE_P(Gen, Work, ::testing::Range(0, 12));
