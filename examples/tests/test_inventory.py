"""A small domain module with one genuine failure, to show failure output."""
import unittest


def restock(stock, delivered):
    # Bug on purpose: a delivery of zero is treated as "no change" but
    # negative deliveries (returns) are ignored instead of subtracted.
    return stock + max(delivered, 0)


class TestInventory(unittest.TestCase):
    def test_restock_adds(self):
        self.assertEqual(restock(3, 2), 5)

    def test_restock_zero(self):
        self.assertEqual(restock(3, 0), 3)

    def test_restock_return(self):
        self.assertEqual(restock(3, -1), 2, "a returned item must leave the stock")

    def test_restock_large(self):
        self.assertEqual(restock(0, 10**6), 10**6)
