#!/usr/bin/env bash
# One `swift test` stage of `make test`: `scripts/test-stage.sh NAME [swift test arguments]`.
#
# The output is line-buffered (piped, Swift Testing's output is block-buffered: a hung run's
# last lines stayed in its buffer and the log ended mid-word) and kept in .qf/test-logs/NAME.log.
# A watchdog waits on progress, not on time: when the stage prints nothing for
# QF_TEST_SILENCE_SECONDS (600; the longest quiet spell of a passing run is about a minute, the
# whole run about ten), it writes every thread's stack of the test process to
# .qf/test-logs/NAME.stacks, names the tests that started and did not finish, stops the stage and
# fails it. A hang then costs ten minutes and says where it is, instead of CI's whole budget.
# Polled every 5 s, so a silence under 5 s is treated as 5.
set -uo pipefail
stage=$1
shift
silence=${QF_TEST_SILENCE_SECONDS:-600}
mkdir -p .qf/test-logs
log=.qf/test-logs/$stage.log
stacks=.qf/test-logs/$stage.stacks
summary=.qf/test-logs/$stage.hung
rm -f "$summary" "$stacks"
: > "$log"

stdbuf -oL -eL swift test "$@" > "$log" 2>&1 &
runner=$!
tail -n +1 -f --pid=$runner "$log" &
echoer=$!

# The tests that printed "started" and neither "passed" nor "failed", by name.
unfinished() {
  awk '/^◇ Test [^ ]+\(.*started\.$/ { open[$3] = 1 }
       /^(✔|✘) Test [^ ]+\(.* (passed|failed) after / { delete open[$3] }
       END { for (name in open) print "  " name }' "$log"
}

last_size=-1
quiet=0
while kill -0 $runner 2>/dev/null; do
  sleep 5
  size=$(stat -c %s "$log")
  if [ "$size" != "$last_size" ]; then last_size=$size; quiet=0; else quiet=$((quiet + 5)); fi
  if [ $quiet -ge $silence ]; then
    # The test binary is swift-test's child; its own children (qf workers, servers) go with it.
    tests=$(pgrep -P $runner -f 'PackageTests\.xctest' || pgrep -f 'PackageTests\.xctest' | head -1)
    {
      echo "test-stage $stage: nothing printed for $silence seconds; stopped as hung."
      echo "Tests that started and did not finish:"
      unfinished
    } > "$summary"
    if [ -n "$tests" ]; then
      if command -v gdb > /dev/null; then
        timeout 120 gdb -q -p "$tests" -batch -ex 'thread apply all bt 40' 2>&1 \
          | grep -v -e '^During symbol reading' -e '^\[New LWP' -e '^warning: ' | cut -c1-400 > "$stacks"
        echo "Every thread's stack: $stacks" >> "$summary"
      fi
      children=$(pgrep -P "$tests")
      kill -KILL "$tests" $children 2>/dev/null
    fi
    kill -TERM $runner 2>/dev/null
    break
  fi
done
wait $runner
status=$?
wait $echoer 2>/dev/null
if [ -f "$summary" ]; then
  cat "$summary"
  exit 1
fi
exit $status
