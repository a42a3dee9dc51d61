"""Batches and tournaments with strategies written in Python, shared among processes.

A strategy written in Python runs with the interpreter, one move at a time; to use every
core, the runs (of a batch) or the assignments (of a tournament) are split into contiguous
shares, each played by a worker process started afresh ("spawn"), and the shares' results
are added up in order by the Rust core. The same seed gives the same bytes at any number
of processes, since every run is played exactly as one process would play it.

Strategies cross to the workers by pickling, so they are classes importable by their
module's name (defined at a module's top level, not inside a function), made afresh for
every run: an object would carry state from run to run, and each process would hold its
own copy of it.
"""

from concurrent.futures import ProcessPoolExecutor
import multiprocessing
import os

from . import _accord

MAX_PROCESSES = 256


def _processes(processes):
    if processes is None:
        return 1
    if isinstance(processes, bool) or not isinstance(processes, int):
        raise TypeError(f"processes is an int, not {type(processes).__name__}")
    if not 1 <= processes <= MAX_PROCESSES:
        raise ValueError(f"processes must be 1 to {MAX_PROCESSES}")
    return processes


def _shares(count, processes):
    """`count` items split into at most `processes` contiguous (start, end) shares."""
    processes = max(1, min(processes, count))
    size, extra = divmod(count, processes)
    shares, start = [], 0
    for share in range(processes):
        end = start + size + (1 if share < extra else 0)
        shares.append((start, end))
        start = end
    return shares


def _pool(workers):
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )


def _only_classes(players):
    for party, strategy in players.items():
        if not isinstance(strategy, type):
            raise TypeError(
                f"with processes, the strategy of `{party}` is a class (made afresh for "
                "every run in the process that plays it), not an object"
            )


def simulate(
    scenario_path,
    seed=0,
    runs=1,
    threads=None,
    per_run=False,
    players=None,
    log_dir=None,
    force=False,
    strategies=None,
    deadline=None,
    processes=None,
):
    """A seeded batch of a scenario, as `accord simulate SCENARIO --json`: the summary as
    a dict, with `per_run` rows when asked, and each run's log in `log_dir` when given.

    `players` maps party ids to strategies written in Python. `processes=N` plays a batch
    with players in N worker processes (see this module's notes); the same seed gives the
    same result at any N. Without players, the batch runs on `threads` threads."""
    processes = _processes(processes)
    if processes == 1 or not players:
        return _accord.simulate(
            scenario_path,
            seed=seed,
            runs=runs,
            threads=threads,
            per_run=per_run,
            players=players,
            log_dir=log_dir,
            force=force,
            strategies=strategies,
            deadline=deadline,
        )
    _only_classes(players)
    path = os.fspath(scenario_path)
    keep_logs = log_dir is not None
    shares = _shares(runs, processes) if runs > 0 else [(0, 0)]
    with _pool(len(shares)) as pool:
        futures = [
            pool.submit(
                _accord._simulate_part,
                path,
                players,
                seed,
                start,
                end,
                keep_logs,
                strategies,
                deadline,
            )
            for start, end in shares
        ]
        results = [result for future in futures for result in future.result()]
    return _accord._simulate_finish(
        path, seed, runs, results, per_run, log_dir, force, strategies, deadline
    )


def tournament(
    scenario_paths,
    strategies,
    runs=10,
    seed=0,
    threads=None,
    deadline=None,
    processes=None,
):
    """Every assignment of `strategies` to the roles of each scenario, `runs` seeded runs
    each, ranked, as `accord tournament ... --json`. A strategy is a built-in strategy's
    name, a strategy class written in Python (named by its `__name__`), or a `(name,
    class)` pair. `processes=N` shares a tournament with Python strategies among N worker
    processes; the same seed gives the same result at any N."""
    processes = _processes(processes)
    strategies = list(strategies)
    written_in_python = any(not isinstance(strategy, str) for strategy in strategies)
    if processes == 1 or not written_in_python:
        return _accord.tournament(
            scenario_paths,
            strategies,
            runs=runs,
            seed=seed,
            threads=threads,
            deadline=deadline,
        )
    paths = [os.fspath(path) for path in scenario_paths]
    count = _accord._tournament_size(paths, strategies, deadline)
    # Dealt round-robin, not cut in blocks: assignments with Python strategies cost more,
    # and they cluster in the assignments' order.
    workers = max(1, min(processes, count))
    parts = [list(range(worker, count, workers)) for worker in range(workers)]
    with _pool(workers) as pool:
        futures = [
            pool.submit(_accord._tournament_part, paths, strategies, runs, seed, deadline, part)
            for part in parts
        ]
        played = [future.result() for future in futures]
    records = [None] * count
    for part, part_records in zip(parts, played):
        for job, job_records in zip(part, part_records):
            records[job] = job_records
    return _accord._tournament_rank(paths, strategies, runs, seed, deadline, records)
