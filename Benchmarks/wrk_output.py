"""Reads one wrk --latency output: requests per second, latency percentiles in milliseconds and
the count of non-2xx answers (shared by the service benchmarks' comparison scripts)."""
import re


def parse(path):
    text = path.read_text()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return {"rate": rate, "p50": pct(50), "p99": pct(99), "errors": int(errors.group(1)) if errors else 0}


def runs_by_endpoint_and_server(folder):
    """Every `<endpoint>-<server>-<pass>.txt` in `folder`, parsed, by (endpoint, server)."""
    runs = {}
    for path in sorted(folder.glob("*-*-*.txt")):
        name, server, _ = path.stem.split("-")
        runs.setdefault((name, server), []).append(parse(path))
    return runs
