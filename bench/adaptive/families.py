"""Generated suites for bench/adaptive.py, one per family of scheduling targets.

A suite: modules of classes of tests; durations lognormal per class times
lognormal per test, plus three long tests (5-10x the mean), scaled so the
ideal wall time on `workers` is about `ideal` seconds. Each family gives
the spec the history is seeded from (None: no seeding run) and the spec of
the measured run (as tests/schedule_sim.hpp does for the fake-clock
simulation of the same families):

  cold       no history
  warm       history = reality
  noisy      reality = history x lognormal(sigma 0.3)
  drift      20% of tests now take 4x their history
  new        30% of tests missing from the history
  grouped    group_regex = the class, with three large classes
  expensive  warm, each runner process takes 0.5 s to start

`imports` (e.g. ["subunit"]) makes every runner process import those
modules first: a start that costs CPU, as a real Python suite's does.
"""
import random

FAMILIES = ["cold", "warm", "noisy", "drift", "new", "grouped", "expensive"]
GROUP_REGEX = r"^.*\.Class\d+\."


def make(family, workers, seed=1, ideal=3.0, tests_per_worker=40, imports=()):
    if family not in FAMILIES:
        raise ValueError("unknown family %r (one of %s)" % (family, ", ".join(FAMILIES)))
    rng = random.Random(seed * 1000003 + workers)
    n = tests_per_worker * workers
    grouped = family == "grouped"
    ids, base, klass, module = [], [], 0, 0
    while len(ids) < n:
        size = n // 12 if grouped and klass < 3 else rng.randint(2, 13)
        class_factor = rng.lognormvariate(0, 0.8)
        if klass % 4 == 0:
            module += 1
        for t in range(size):
            if len(ids) == n:
                break
            ids.append("pkg.mod%d.Class%d.test_%d" % (module, klass, t))
            base.append(class_factor * rng.lognormvariate(0, 0.6))
        klass += 1
    mean = sum(base) / n
    for _ in range(3):
        base[rng.randrange(n)] = mean * (5 + 5 * rng.random())
    scale = ideal * workers / sum(base)
    base = [b * scale for b in base]

    real = list(base)
    known = [True] * n
    for i in range(n):
        if family == "noisy":
            real[i] = base[i] * rng.lognormvariate(0, 0.3)
        elif family == "drift" and rng.random() < 0.2:
            real[i] = base[i] * 4
        elif family == "new" and rng.random() < 0.3:
            known[i] = False
    start_delay = 0.5 if family == "expensive" else 0.0

    # The ideal: no worker can finish before total / workers, nor before the
    # largest unit that cannot be split; every worker starts a runner once.
    largest = max(real)
    if grouped:
        totals = {}
        for i, r in zip(ids, real):
            key = i.rsplit(".", 1)[0]
            totals[key] = totals.get(key, 0) + r
        largest = max(totals.values())
    ideal_wall = start_delay + max(sum(real) / workers, largest)

    seed_spec = None
    if family != "cold":
        seed_spec = {"tests": [[i, b] for i, b, k in zip(ids, base, known) if k], "start_delay": start_delay,
                     "imports": list(imports)}
    run_spec = {"tests": [[i, r] for i, r in zip(ids, real)], "start_delay": start_delay, "imports": list(imports)}
    return {
        "family": family,
        "workers": workers,
        "tests": n,
        "seed_spec": seed_spec,
        "run_spec": run_spec,
        "group_regex": GROUP_REGEX if grouped else None,
        "ideal": ideal_wall,
        "total": sum(real),
        "largest": largest,
    }
