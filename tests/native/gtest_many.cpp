// A generated-size GoogleTest suite for the native-format benchmark: 5000
// value-parameterised tests that each print a line. Built twice: plain
// (GoogleTest's console output, read by the adapter) and with
// TESTR_SUBUNIT_MAIN (the subunit listener, read by python-subunit).
#include <gtest/gtest.h>

#include <cstdio>

class Many : public ::testing::TestWithParam<int> {};
TEST_P(Many, Case) {
    std::printf("case %d\n", GetParam());
    EXPECT_NE(GetParam(), -1);
}
INSTANTIATE_TEST_SUITE_P(Gen, Many, ::testing::Range(0, 5000));

#ifdef TESTR_SUBUNIT_MAIN
#include <testr/gtest_subunit.hpp>
int main(int argc, char** argv) { return testr::reporters::gtest_subunit_main(argc, argv); }
#endif
