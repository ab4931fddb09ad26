"""Fast tests: most of a real suite looks like this."""
import unittest


class TestArithmetic(unittest.TestCase):
    def test_add(self):
        self.assertEqual(2 + 2, 4)

    def test_sub(self):
        self.assertEqual(5 - 3, 2)

    def test_mul(self):
        self.assertEqual(6 * 7, 42)

    def test_div(self):
        self.assertEqual(9 / 3, 3)

    def test_floor_div(self):
        self.assertEqual(7 // 2, 3)

    def test_pow(self):
        self.assertEqual(2 ** 10, 1024)

    def test_mod(self):
        self.assertEqual(10 % 3, 1)

    def test_neg(self):
        self.assertEqual(-(-3), 3)
