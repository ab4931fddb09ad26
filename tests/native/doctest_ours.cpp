// A doctest binary with a test of each kind the adapter must tell apart;
// line numbers are asserted by test_native_format.cpp.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>

TEST_CASE("passes, with a comma") { std::printf("printed by printf\n"); std::cout << "by cout" << std::endl; CHECK(1 == 1); }
TEST_CASE("fails") { int a = 1; CHECK(a == 2); }  // line 11
TEST_SUITE("suite") {
    TEST_CASE("in suite *star*") {
        SUBCASE("sub a") { CHECK(true); }
        SUBCASE("sub b") { CHECK(false); }
    }
}
TEST_CASE("throws") { throw std::runtime_error("boom"); }
TEST_CASE("skipped" * doctest::skip()) {}
TEST_CASE("back\\slash <&>") {}
TEST_CASE("crash") { std::printf("before crash\n"); std::fflush(stdout); volatile int* p = nullptr; *p = 1; }
TEST_CASE("after") {}
