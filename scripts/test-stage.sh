#!/usr/bin/env bash
# One `swift test` stage of `make test`: `scripts/test-stage.sh NAME [swift test arguments]`.
#
# The output is line-buffered (piped, Swift Testing's output is block-buffered: a hung run's
# last lines stayed in its buffer and the log ended mid-word) and kept in .qf/test-logs/NAME.log.
# A watchdog waits on progress, not on time: when the stage prints nothing for
# QF_TEST_SILENCE_SECONDS (600; the longest quiet spell of a passing run is about a minute, the
# whole run about ten), it names the tests that started and did not finish and where their
# harnesses are (phases the test process writes on SIGUSR2), writes every thread's stack and
# PostgreSQL's connections to .qf/test-logs/NAME.stacks, stops the stage and fails it. A hang
# then costs ten minutes and says where it is, instead of CI's whole budget.
# Polled every 5 s, so a silence under 5 s is treated as 5.
set -uo pipefail
stage=$1
shift
silence=${QF_TEST_SILENCE_SECONDS:-600}
mkdir -p .qf/test-logs
log=.qf/test-logs/$stage.log
stacks=.qf/test-logs/$stage.stacks
summary=.qf/test-logs/$stage.hung
phases=.qf/test-logs/$stage.phases
rm -f "$summary" "$stacks" "$phases"
: > "$log"
# Where a test process writes its harnesses' open phases on SIGUSR2 (Tests/ServiceTests/TestTrace.swift).
export QF_TEST_PHASES_FILE=$PWD/$phases

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
    # The test binary is swift-test's child (only this stage's: another clone's run on the same
    # machine is not touched); its own children (qf workers, servers) go with it.
    tests=$(pgrep -P $runner -f 'PackageTests\.xctest' | head -1)
    {
      echo "test-stage $stage: nothing printed for $silence seconds; stopped as hung."
      echo "Tests that started and did not finish:"
      unfinished
    } > "$summary"
    if [ -n "$tests" ]; then
      # A hung test is a suspended task, which no thread's stack shows: the test process says
      # where each harness is (written from a Dispatch queue, so even with every task stuck).
      kill -USR2 "$tests" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$phases" ] && break; sleep 1; done
      [ -s "$phases" ] && cat "$phases" >> "$summary"
      if command -v gdb > /dev/null; then
        timeout 120 gdb -q -p "$tests" -batch -ex 'thread apply all bt 40' 2>&1 \
          | grep -v -e '^During symbol reading' -e '^\[New LWP' -e '^warning: ' | cut -c1-400 > "$stacks"
        echo "Every thread's stack: $stacks" >> "$summary"
      fi
      # What the project's PostgreSQL was doing: a statement in flight, or no connection at all.
      pid_file=.qf/pg/data/postmaster.pid
      if [ -f $pid_file ] && command -v psql > /dev/null; then
        { echo; echo "pg_stat_activity:"
          timeout 30 psql -h "$(sed -n 5p $pid_file)" -p "$(sed -n 4p $pid_file)" -U postgres -d postgres -Atc \
            "SELECT datname, application_name, state, now() - state_change, regexp_replace(left(query, 200), '\s+', ' ', 'g') FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
          echo "databases left behind:"
          timeout 30 psql -h "$(sed -n 5p $pid_file)" -p "$(sed -n 4p $pid_file)" -U postgres -d postgres -Atc \
            "SELECT datname FROM pg_database WHERE datname LIKE 'qf_test_%'"
        } >> "$stacks" 2>&1
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
