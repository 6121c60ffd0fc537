"""Where the cores go while something runs: `python -m bench.cpu_split 30` during a load run.

Reads each process's user and system CPU time from /proc at the start and the end of the
window and prints them per group (the server's processes, PostgreSQL, locust, the rest) in
cores. docs/benchmarks.md quotes it for the load run (Linux only).
"""

from __future__ import annotations

import argparse
import os
import time

TICKS = os.sysconf("SC_CLK_TCK")


def _group(command: str) -> str:
    if "zhurnal serve" in command or "multiprocessing.spawn" in command:
        return "server"
    if "postgres" in command:
        return "postgres"
    if "locust" in command:
        return "locust"
    return "other"


def snapshot() -> dict[str, tuple[str, int, int]]:
    """pid -> (group, user ticks, system ticks) of every process readable now."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (_group(command), int(fields[11]), int(fields[12]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, nargs="?", default=30)
    args = parser.parse_args()
    before, started = snapshot(), time.monotonic()
    time.sleep(args.seconds)
    after, took = snapshot(), time.monotonic() - started
    cores: dict[str, list[float]] = {}
    for pid, (group, user, system) in after.items():
        _, user0, system0 = before.get(pid, (group, 0, 0))
        total = cores.setdefault(group, [0.0, 0.0])
        total[0] += (user - user0) / TICKS / took
        total[1] += (system - system0) / TICKS / took
    for group, (user, system) in sorted(cores.items()):
        print(f"{group:10s} user {user:5.2f} cores  system {system:5.2f} cores")


if __name__ == "__main__":
    main()
