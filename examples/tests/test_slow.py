"""Slow tests: what parallel, time-balanced scheduling is for."""
import time
import unittest


class TestSlowIntegration(unittest.TestCase):
    def test_database_migration(self):
        time.sleep(1.2)

    def test_full_sync(self):
        time.sleep(0.9)

    def test_report_rendering(self):
        time.sleep(0.6)

    def test_cache_warmup(self):
        time.sleep(0.4)


class TestSlowNetwork(unittest.TestCase):
    def test_retry_backoff(self):
        time.sleep(0.7)

    def test_large_download(self):
        time.sleep(0.5)
