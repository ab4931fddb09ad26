// A Catch2 binary using reporters/testr/catch2_subunit.hpp: run by the real
// testr in tests/native/test_reporters.py.
#define CATCH_CONFIG_RUNNER
#include <testr/catch2_subunit.hpp>

#include <cstdio>
#include <iostream>

TEST_CASE("passes, with comma [x]", "[tag]") { std::printf("printed by printf\n"); std::cout << "and by cout" << std::endl; }
TEST_CASE("fails") { int a = 1; CHECK(a == 2); }  // line 10
TEST_CASE("throws") { throw std::runtime_error("boom"); }
TEST_CASE("odd? \"quoted\" *star*") {}

int main(int argc, char** argv) { return testr::reporters::catch2_subunit_main(argc, argv); }
