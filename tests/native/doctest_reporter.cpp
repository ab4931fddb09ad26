// A doctest binary using reporters/testr/doctest_subunit.hpp: run by the
// real testr in tests/native/test_reporters.py.
#define DOCTEST_CONFIG_IMPLEMENT
#include <testr/doctest_subunit.hpp>

#include <cstdio>
#include <iostream>

TEST_CASE("passes, with a comma") { std::printf("printed by printf\n"); std::cout << "and by cout" << std::endl; }
TEST_CASE("fails") { int a = 1; CHECK(a == 2); }  // line 10
TEST_CASE("throws") { throw 42; }
TEST_CASE("back\\slash") {}

int main(int argc, char** argv) { return testr::reporters::doctest_subunit_main(argc, argv); }
