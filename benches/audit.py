#!/usr/bin/env python3
"""The audit benchmark: figures, not a test.

Builds a synthetic DNS universe (zones with allowed, denied and absent CAA records, CNAMEs into
other zones, names under a TLD nobody serves), serves it with knot on loopback, and measures in
one run, on the same machine:

  raw        the server's raw capacity: dnsperf over the distinct CAA query names of the audit,
             at the best of a few client settings
  certready  `certready check --input` over N names: names/s, queries sent per name (against
             the distinct names to query), peak memory
             (rounds of raw then certready alternate; each figure is the median of its rounds)
  naive      a shell loop around dig over a sample, one name and one parent after another
  million    certready over 1,000,000 names streamed through stdin: peak memory stays bounded
  sweep      certready over the same names at --concurrency 64, 256, 1024 and 65536:
             throughput must not fall as concurrency rises, memory must stay under 100 MiB
  loss       certready over 20,000 names inside a network namespace, first clean, then with
             10% of the datagrams each way dropped (nftables): the slowdown and the queries
             added by resends
  huge       certready over N names streamed through stdin (memory at any input size)
  dnssec     certready --dnssec over 20,000 names, `bench.` signed by knot and each zone an
             unsigned delegation under it (the usual case: the insecurity of each zone proven),
             against the same names without --dnssec: names/s and queries per name

Needs knotd, dnsperf, dig and GNU time (Debian: knot, dnsperf, bind9-dnsutils, time); the loss
run also needs root, iproute2 and nftables. It builds certready in release mode itself, unless
CERTREADY names a binary to measure (to compare two builds).
Usage: benches/audit.py [--names 100000] [--zones 2000] [--concurrency 64] [--million]
                        [--sweep] [--loss] [--huge 6000000] [--dnssec]
"""

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("CERTREADY", os.path.join(REPO, "target", "release", "certready"))
SEED = 8659
LABELS = ["www", "api", "app", "shop", "mail", "eu", "us", "dev", "staging", "cdn", "static", "m"]


class Universe:
    """Zones z0000.bench .. and the names to audit in them, reproducibly from a seed."""

    def __init__(self, zones):
        self.rng = random.Random(SEED)
        self.zones = [f"z{i:04d}.bench" for i in range(zones)]
        self.index = {zone: i for i, zone in enumerate(self.zones)}
        # A zone's apex CAA: 40% allow the CA, 30% allow only another CA, 30% have none.
        self.policy = {zone: self.rng.choices(["allow", "deny", "none"], [4, 3, 3])[0] for zone in self.zones}

    def zone_files(self, directory, delegations=False):
        """Writes bench. and every zone; returns the (origin, path) pairs. With `delegations`,
        bench. delegates each zone (NS and glue, no DS)."""
        files = []
        head = "$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n"
        path = os.path.join(directory, "bench.zone")
        with open(path, "w") as out:
            out.write(head)
            if delegations:
                for zone in self.zones:
                    label = zone.split(".")[0]
                    out.write(f"{label} NS ns.{label}\nns.{label} A 127.0.0.1\n")
        files.append(("bench.", path))
        for index, zone in enumerate(self.zones):
            lines = [head]
            policy = self.policy[zone]
            if policy == "allow":
                lines.append('@ CAA 0 issue "letsencrypt.org"\n')
            elif policy == "deny":
                lines.append('@ CAA 0 issue "digicert.com"\n')
            # Every zone serves a CDN target, and points cdn1..cdn3 at other zones' targets.
            lines.append("target A 192.0.2.1\n")
            for k in range(1, 4):
                lines.append(f"cdn{k} CNAME {self.cname_target(index, k)}.\n")
            path = os.path.join(directory, f"{zone}.zone")
            with open(path, "w") as out:
                out.writelines(lines)
            files.append((zone + ".", path))
        return files

    def cname_target(self, index, k):
        """Where cdnK of the zone at `index` points: a name in another zone."""
        return "target." + self.zones[(index * 7 + k * 131) % len(self.zones)]

    def query_names(self, name):
        """The names certready asks for `name`: its climb, and a CNAME's target."""
        names = climb(name)
        label, _, zone = name.partition(".")
        if label.startswith("cdn") and zone in self.index:
            names.append(self.cname_target(self.index[zone], int(label[3:])))
        return names

    def name(self, rng):
        """One name to audit: 90% ordinary names of 3 to 6 labels, 5% CNAMEs, 5% failing."""
        zone = rng.choice(self.zones)
        kind = rng.random()
        if kind < 0.05:
            return f"cdn{rng.randint(1, 3)}.{zone}"
        if kind < 0.10:
            return f"host{rng.randint(0, 999999)}.{zone.split('.')[0]}.fail"
        depth = rng.choice([3, 4, 5, 6])
        middle = [rng.choice(LABELS) for _ in range(depth - 3)]
        return ".".join([f"host{rng.randint(0, 999999)}"] + middle + [zone])

    def names(self, count, seed):
        rng = random.Random(seed)
        return [self.name(rng) for _ in range(count)]


def climb(name):
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        return udp.getsockname()[1]


def start_knot(directory, files, port, netns=(), signed=frozenset()):
    conf = os.path.join(directory, "knot.conf")
    with open(conf, "w") as out:
        out.write(f"server:\n  listen: 127.0.0.1@{port}\n  rundir: {directory}\n")
        out.write(f"database:\n  storage: {directory}\n")
        out.write("log:\n  - target: stderr\n    any: error\n")
        out.write("policy:\n  - id: bench\n    algorithm: ecdsap256sha256\n    nsec3: off\n")
        out.write("template:\n  - id: default\n    storage: " + directory + "\n    semantic-checks: off\n")
        out.write("zone:\n")
        for origin, path in files:
            out.write(f"  - domain: {origin}\n    file: {path}\n")
            if origin in signed:
                out.write("    dnssec-signing: on\n    dnssec-policy: bench\n")
    knot = subprocess.Popen([*netns, "knotd", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        probe = subprocess.run([*netns, "dig", "+short", "+tries=1", "+time=1", "-p", str(port), "@127.0.0.1",
                                "SOA", "z0000.bench"], capture_output=True, text=True)
        if probe.stdout.strip():
            return knot
        time.sleep(0.1)
    knot.kill()
    sys.exit("knotd did not start: " + knot.stderr.read().decode(errors="replace"))


def measure(command, stdin=None):
    """Runs command; returns (seconds, peak RSS in MiB, stderr text, exit status).

    The peak comes from GNU time: the rusage of a child forked from this (large) Python process
    would count the fork's pages too.
    """
    started = time.monotonic()
    run = subprocess.run(["/usr/bin/time", "-f", "peak-kb %M"] + command, stdin=stdin,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.monotonic() - started
    error = run.stderr.decode(errors="replace")
    peak = re.search(r"^peak-kb (\d+)$", error, re.MULTILINE)
    return elapsed, int(peak.group(1)) / 1024 if peak else float("nan"), error, run.returncode


def dnsperf_at_best(directory, port, query_names, seconds):
    """dnsperf over the distinct query names: picks the best of a few client settings and
    returns (a function measuring queries per second at that setting, the setting)."""
    queries = os.path.join(directory, "queries.txt")
    with open(queries, "w") as out:
        for name in query_names:
            out.write(f"{name} CAA\n")

    def dnsperf(clients, outstanding):
        run = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries,
                              "-l", str(seconds), "-c", str(clients), "-q", str(outstanding)],
                             capture_output=True, text=True)
        found = re.search(r"Queries per second:\s+([\d.]+)", run.stdout)
        return float(found.group(1)) if found else 0.0

    settings = [(1, 64), (1, 200), (2, 500), (4, 1000)]
    best = max(settings, key=lambda setting: dnsperf(*setting))
    return (lambda: dnsperf(*best)), best


def certready(names_file, port, concurrency, stdin_from=None, netns=(), extra=()):
    command = [*netns, BINARY, "check", "--quiet", "--json", "--no-name-policy",
               "--nameserver", f"127.0.0.1:{port}",
               "--concurrency", str(concurrency), "--timeout", "2", "--input", names_file, *extra]
    elapsed, peak, error, code = measure(command, stdin=stdin_from)
    summary = next((line for line in error.splitlines() if line.startswith("certready:")), "")
    sent = re.search(r"(\d+) queries sent", summary)
    return elapsed, peak, int(sent.group(1)) if sent else -1, summary, code


def naive(sample, port):
    """A shell loop around dig: each name, then each parent, one query at a time."""
    script = (
        "while read -r name; do p=$name; while :; do "
        f"out=$(dig +short +tries=1 +time=2 -p {port} @127.0.0.1 CAA \"$p\"); "
        '[ -n "$out" ] && break; case $p in *.*) p=${p#*.};; *) break;; esac; done; done'
    )
    started = time.monotonic()
    subprocess.run(["bash", "-c", script], input="\n".join(sample) + "\n", text=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return len(sample) / (time.monotonic() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--zones", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sample", type=int, default=300, help="names for the dig loop")
    parser.add_argument("--dnsperf-seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of dnsperf, then certready")
    parser.add_argument("--million", action="store_true", help="also stream 1,000,000 names")
    parser.add_argument("--sweep", action="store_true", help="also --concurrency 64, 256, 1024, 65536")
    parser.add_argument("--loss", action="store_true", help="also 20,000 names with 10%% of datagrams dropped")
    parser.add_argument("--huge", type=int, default=0, metavar="N", help="also stream N names")
    parser.add_argument("--dnssec", action="store_true", help="also 20,000 names with --dnssec")
    parser.add_argument("--only", choices=["sweep", "loss", "huge", "dnssec"], help="skip the main rounds")
    args = parser.parse_args()
    for tool in ["knotd", "dnsperf", "dig", "/usr/bin/time"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install knot dnsperf bind9-dnsutils time")
    if "CERTREADY" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)

    directory = tempfile.mkdtemp(prefix="certready-bench-")
    universe = Universe(args.zones)
    files = universe.zone_files(directory)
    names = universe.names(args.names, seed=1)
    names_file = os.path.join(directory, "names.txt")
    with open(names_file, "w") as out:
        out.write("\n".join(names) + "\n")
    distinct = set()
    for name in names:
        distinct.update(universe.query_names(name))
    port = free_port()
    knot = start_knot(directory, files, port)
    try:
        print(f"machine: {os.cpu_count()} cores, {platform_line()}")
        print(f"universe: {args.zones} zones, {len(names)} names of 3 to 6 labels, "
              f"{len(distinct)} distinct names to query (climbs and CNAME targets)")
        if args.only:
            extra_runs(args, universe, names, names_file, directory, files, port)
            return
        measure_raw, (clients, outstanding) = dnsperf_at_best(directory, port, sorted(distinct),
                                                              args.dnsperf_seconds)
        # Rounds of dnsperf then certready, so that both see the machine in the same states.
        raws, runs = [], []
        for _ in range(args.rounds):
            raws.append(measure_raw())
            runs.append(certready(names_file, port, args.concurrency))
        raw = sorted(raws)[len(raws) // 2]
        elapsed, peak, sent, summary, code = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        qps = sent / elapsed
        print(f"raw        dnsperf against knotd: {raw:,.0f} queries/s "
              f"(median of {args.rounds}, -c {clients} -q {outstanding}; runs: "
              + ", ".join(f"{rate / 1000:.0f}k" for rate in raws) + ")")
        print(f"certready  {len(names)} names in {elapsed:.2f} s (median of {args.rounds}): "
              f"{len(names) / elapsed:,.0f} names/s, {sent} queries ({sent / len(names):.2f} per name, "
              f"{qps:,.0f}/s = {qps / raw:.0%} of raw), peak {peak:.1f} MiB, exit {code}; runs: "
              + ", ".join(f"{len(names) / run[0] / 1000:.0f}k names/s" for run in runs))
        print(f"           {summary}")
        verdict = "at most once each" if sent <= len(distinct) else f"{sent - len(distinct)} more than once or retried"
        print(f"           queries sent {sent} vs {len(distinct)} distinct names to query: {verdict}")

        sample = names[: args.sample]
        rate = naive(sample, port)
        print(f"naive      dig loop over {len(sample)} names: {rate:,.1f} names/s "
              f"(certready is {len(names) / elapsed / rate:,.0f}x faster)")

        if args.million:
            generator = subprocess.Popen([sys.executable, __file__, "--emit", str(args.zones)],
                                         stdout=subprocess.PIPE)
            elapsed, peak, sent, summary, code = certready("-", port, args.concurrency, generator.stdout)
            generator.wait()
            distinct = set()
            for name in million_names(universe):
                distinct.update(universe.query_names(name))
            print(f"million    1,000,000 names via stdin in {elapsed:.1f} s: {1_000_000 / elapsed:,.0f} names/s, "
                  f"{sent / 1_000_000:.2f} queries per name, peak {peak:.1f} MiB (target < 100 MiB)")
            print(f"           {summary}")
            print(f"           queries sent {sent} vs {len(distinct)} distinct names to query")
        extra_runs(args, universe, names, names_file, directory, files, port)
    finally:
        knot.terminate()
        knot.wait()
        shutil.rmtree(directory, ignore_errors=True)


def extra_runs(args, universe, names, names_file, directory, files, port):
    if args.sweep or args.only == "sweep":
        sweep(names, names_file, port)
    if args.loss or args.only == "loss":
        loss(universe, directory, files)
    if args.huge or args.only == "huge":
        huge(args.huge or 6_000_000, args.zones, port, args.concurrency)
    if args.dnssec or args.only == "dnssec":
        dnssec(universe, directory, args.concurrency)


def sweep(names, names_file, port, rounds=3):
    """Throughput and memory as --concurrency rises: rounds go through every setting in turn, so
    that a machine slowing down or speeding up over the minutes weighs on each alike; each
    setting's figure is the median of its rounds."""
    settings = [64, 256, 1024, 65536]
    runs = {concurrency: [] for concurrency in settings}
    for _ in range(rounds):
        for concurrency in settings:
            runs[concurrency].append(certready(names_file, port, concurrency))
    for concurrency in settings:
        ordered = sorted(runs[concurrency], key=lambda run: run[0])
        elapsed, peak, sent, summary, code = ordered[len(ordered) // 2]
        print(f"sweep      --concurrency {concurrency:>5}: {len(names) / elapsed:,.0f} names/s "
              f"(runs: {', '.join(f'{len(names) / run[0] / 1000:.1f}k' for run in runs[concurrency])}), "
              f"{sent / len(names):.2f} queries per name, peak {max(run[1] for run in runs[concurrency]):.1f} MiB, "
              f"exit {code}")


def loss(universe, directory, files, count=20_000, percent=10):
    """The same names in a network namespace, clean and then with datagrams dropped both ways."""
    for tool in ["ip", "nft"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install iproute2 nftables (and run as root)")
    namespace = f"certready-loss-{os.getpid()}"
    netns = ["ip", "netns", "exec", namespace]
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    knot = None
    try:
        subprocess.run([*netns, "ip", "link", "set", "lo", "up"], check=True)
        port = free_port()
        # A knot of its own, with its own configuration and storage beside the main one's.
        own = os.path.join(directory, "loss")
        os.makedirs(own, exist_ok=True)
        knot = start_knot(own, files, port, netns)
        names_file = os.path.join(directory, "loss-names.txt")
        with open(names_file, "w") as out:
            out.write("\n".join(universe.names(count, seed=3)) + "\n")
        clean = certready(names_file, port, 64, netns=netns)
        rules = (f"add table inet loss\n"
                 f"add chain inet loss input {{ type filter hook input priority 0; }}\n"
                 f"add rule inet loss input udp dport {port} numgen random mod 100 < {percent} drop\n"
                 f"add rule inet loss input udp sport {port} numgen random mod 100 < {percent} drop\n")
        subprocess.run([*netns, "nft", "-f", "-"], input=rules, text=True, check=True)
        lossy = certready(names_file, port, 64, netns=netns)
        for label, (elapsed, peak, sent, summary, code) in [("clean", clean), (f"{percent}% lost", lossy)]:
            print(f"loss       {label:>9}: {count} names in {elapsed:.2f} s ({count / elapsed:,.0f} names/s), "
                  f"{sent} queries ({sent / count:.2f} per name), peak {peak:.1f} MiB, exit {code}")
            print(f"           {summary}")
        print(f"loss       {percent}% of datagrams lost each way: {lossy[0] / clean[0]:.1f}x the time, "
              f"{lossy[2] / clean[2] - 1:+.0%} queries")
    finally:
        if knot:
            knot.terminate()
            knot.wait()
        subprocess.run(["ip", "netns", "del", namespace])


def dnssec(universe, directory, concurrency, count=20_000):
    """The same names with and without --dnssec, `bench.` signed (ECDSA P-256, NSEC) by a knot of
    its own, each zone delegated from it without a DS: every name's insecurity is proven."""
    own = os.path.join(directory, "dnssec")
    os.makedirs(own, exist_ok=True)
    files = universe.zone_files(own, delegations=True)
    port = free_port()
    knot = start_knot(own, files, port, signed={"bench."})
    try:
        # knot signs bench. once loaded: its keys come when it has.
        keys = []
        for _ in range(100):
            answer = subprocess.run(["dig", "+short", "+tries=1", "+time=1", "-p", str(port),
                                     "@127.0.0.1", "bench.", "DNSKEY"], capture_output=True, text=True)
            # Only the records: dig also prints ";; communications error" on a timeout.
            keys = [key for key in answer.stdout.split("\n") if key[:1].isdigit()]
            if keys:
                break
            time.sleep(0.2)
        if not keys:
            sys.exit("knotd did not sign bench.")
        anchor = os.path.join(own, "bench.key")
        with open(anchor, "w") as out:
            out.writelines(f"bench. IN DNSKEY {key}\n" for key in keys)
        names_file = os.path.join(own, "names.txt")
        with open(names_file, "w") as out:
            out.write("\n".join(universe.names(count, seed=4)) + "\n")
        plain = certready(names_file, port, concurrency)
        validated = certready(names_file, port, concurrency, extra=["--dnssec", "--trust-anchor", anchor])
        for label, (elapsed, peak, sent, summary, code) in [("plain", plain), ("--dnssec", validated)]:
            print(f"dnssec     {label:>9}: {count} names in {elapsed:.2f} s ({count / elapsed:,.0f} names/s), "
                  f"{sent} queries ({sent / count:.2f} per name), peak {peak:.1f} MiB, exit {code}")
            print(f"           {summary}")
    finally:
        knot.terminate()
        knot.wait()


def huge(count, zones, port, concurrency):
    """N names streamed through stdin: peak memory must not grow with the input."""
    generator = subprocess.Popen([sys.executable, __file__, "--emit", str(zones), str(count)],
                                 stdout=subprocess.PIPE)
    elapsed, peak, sent, summary, code = certready("-", port, concurrency, generator.stdout)
    generator.wait()
    print(f"huge       {count:,} names via stdin in {elapsed:.1f} s: {count / elapsed:,.0f} names/s, "
          f"peak {peak:.1f} MiB (target < 100 MiB), exit {code}")
    print(f"           {summary}")


def million_names(universe, count=1_000_000):
    """The million names of the streamed run, the same every time."""
    rng = random.Random(2)
    return (universe.name(rng) for _ in range(count))


def platform_line():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--emit":
        # Writes the streamed runs' names to stdout (a million unless a count follows).
        out = sys.stdout
        count = int(sys.argv[3]) if len(sys.argv) == 4 else 1_000_000
        for name in million_names(Universe(int(sys.argv[2])), count):
            out.write(name + "\n")
        out.flush()
    else:
        main()
