"""Fast tests, one expected failure and one skip."""
import unittest


class TestStrings(unittest.TestCase):
    def test_upper(self):
        self.assertEqual("abc".upper(), "ABC")

    def test_split(self):
        self.assertEqual("a b c".split(), ["a", "b", "c"])

    def test_join(self):
        self.assertEqual("-".join("abc"), "a-b-c")

    def test_strip(self):
        self.assertEqual("  x ".strip(), "x")

    @unittest.skip("needs a locale the example does not install")
    def test_locale_collation(self):
        pass

    @unittest.expectedFailure
    def test_known_unicode_bug(self):
        self.assertEqual("ß".upper(), "ß")
