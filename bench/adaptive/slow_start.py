"""Imported by fake_runner.py with `--imports slow_start`: a runner whose
start takes 1 s before its first test, as import-heavy projects' runners
do. A sleep, not CPU: it is the latency the schedule has to hide, without
also loading the 2 CPUs the tests share."""
import time

time.sleep(1.0)
