// A GoogleTest binary with one test of each kind the adapter must tell
// apart, ending in a test that crashes the binary (so the last test is never
// run). Line numbers are asserted by test_native_format.cpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

TEST(Basic, Passes) { std::printf("hello from test\n"); std::fprintf(stderr, "on stderr\n"); }
TEST(Basic, Fails) { EXPECT_EQ(1, 2) << "custom msg"; ADD_FAILURE() << "second"; }  // line 11
TEST(Basic, DISABLED_Off) {}
TEST(Basic, Skips) { GTEST_SKIP() << "not today"; }
class P : public ::testing::TestWithParam<int> {};
TEST_P(P, Even) { EXPECT_EQ(GetParam() % 2, 0); }
INSTANTIATE_TEST_SUITE_P(Nums, P, ::testing::Values(2, 3));
template <class T>
class Ty : public ::testing::Test {};
using Types = ::testing::Types<int, char>;
TYPED_TEST_SUITE(Ty, Types);
TYPED_TEST(Ty, Size) { EXPECT_GT(sizeof(TypeParam), 0u); }
TEST(Death, Dies) { EXPECT_DEATH({ std::fprintf(stderr, "dying\n"); std::abort(); }, "dying"); }
TEST(Crash, Segv) {
    std::printf("before crash\n");
    std::fflush(stdout);
    std::abort();
}
TEST(Crash, After) {}
TEST(Basic, NoNewline) { std::printf("no newline"); }
TEST(Basic, Throws) { throw std::runtime_error("boom"); }
