"""Login load for Benchmarks/service.sh: CONNECTIONS clients, each on its own keep-alive
connection, post the same valid login again and again for DURATION seconds. A 503 is honoured as
a well-behaved client does: wait `Retry-After` seconds, then try again. Prints one JSON line:
successful logins per second (those answered within DURATION, over DURATION, as wrk counts),
p50/p99 latency of successful logins, p99 of every answer, and the count of each status.

    python3 login_load.py URL USERNAME PASSWORD CONNECTIONS DURATION
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    url, username, password, connections, duration = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    parts = urllib.parse.urlparse(url)
    body = json.dumps({"username": username, "password": password})
    lock = threading.Lock()
    ok_latencies, all_latencies, statuses, in_time = [], [], {}, []
    deadline = time.monotonic() + duration

    def client():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                connection.request("POST", parts.path, body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status, retry = response.status, response.getheader("Retry-After")
            except (OSError, http.client.HTTPException):
                status, retry = "error", None
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
            finished = time.monotonic()
            elapsed = finished - started
            with lock:
                if status == 200 and finished <= deadline:
                    in_time.append(elapsed)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                all_latencies.append(elapsed)
                if status == 200:
                    ok_latencies.append(elapsed)
            if status == 503:
                time.sleep(float(retry or 1))

    threads = [threading.Thread(target=client) for _ in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    print(json.dumps({"logins_per_second": len(in_time) / duration, "p50_ms": (percentile(ok_latencies, 50) or 0) * 1000,
                      "p99_ms": (percentile(ok_latencies, 99) or 0) * 1000, "p99_any_answer_ms": (percentile(all_latencies, 99) or 0) * 1000,
                      "statuses": statuses, "seconds": wall}))


if __name__ == "__main__":
    main()
