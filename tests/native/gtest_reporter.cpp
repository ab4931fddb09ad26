// A GoogleTest binary using reporters/testr/gtest_subunit.hpp: run by the
// real testr in tests/native/test_reporters.py.
#include <testr/gtest_subunit.hpp>

#include <cstdio>
#include <iostream>

TEST(Rep, Passes) { std::printf("printed by printf\n"); std::cout << "and by cout" << std::endl; }
TEST(Rep, Fails) { EXPECT_EQ(1, 2) << "custom msg"; }  // line 9
TEST(Rep, Skips) { GTEST_SKIP() << "not today"; }
TEST(Rep, DISABLED_Off) {}
class P : public ::testing::TestWithParam<int> {};
TEST_P(P, Even) { EXPECT_EQ(GetParam() % 2, 0); }
INSTANTIATE_TEST_SUITE_P(Nums, P, ::testing::Values(2, 3));
TEST(Rep, Dies) { EXPECT_DEATH({ std::fprintf(stderr, "dying\n"); std::abort(); }, "dying"); }

int main(int argc, char** argv) { return testr::reporters::gtest_subunit_main(argc, argv); }
