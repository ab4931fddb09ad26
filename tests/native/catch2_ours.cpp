// A Catch2 (v2) binary with a test of each kind the adapter must tell apart;
// line numbers are asserted by test_native_format.cpp.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdio>
#include <iostream>
#include <stdexcept>

TEST_CASE("passes, with comma [x]", "[tag]") { std::printf("printed\n"); std::cout << "by cout" << std::endl; REQUIRE(1 == 1); }
TEST_CASE("fails") { int a = 1; CHECK(a == 2); }  // line 11
TEST_CASE("sections") { SECTION("a") { CHECK(true); } SECTION("b") { CHECK(false); } }
TEST_CASE("throws") { throw std::runtime_error("boom"); }
TEST_CASE("hidden", "[.]") {}
TEST_CASE("odd? \"quoted\" *star* back\\slash ~") {}
TEST_CASE("crash") { std::printf("before crash\n"); std::fflush(stdout); volatile int* p = nullptr; *p = 1; }
TEST_CASE("after") {}
