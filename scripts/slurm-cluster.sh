#!/usr/bin/env bash
# A single-node Slurm cluster of the project's own (config/slurm/slurm.conf.in, state in
# .qf/slurm): munged, slurmctld and slurmd as root, for `make test` and for trying `qf slurm`.
#   scripts/slurm-cluster.sh up     start it (if not running) and wait until its node is idle
#   scripts/slurm-cluster.sh down   stop it
# Clients find it through SLURM_CONF=.qf/slurm/slurm.conf (make test exports it).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(pwd)/.qf/slurm
conf=$dir/slurm.conf
export SLURM_CONF=$conf

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  for tool in slurmctld slurmd munged sinfo; do
    command -v $tool >/dev/null || { echo "slurm-cluster: $tool is missing (apt-get install slurm-wlm munge)" >&2; exit 1; }
  done
  [ "$(id -u)" = 0 ] || { echo "slurm-cluster: the daemons run as root here; run as root" >&2; exit 1; }
  mkdir -p "$dir"/{state,spool,log,run}
  if ! pgrep -x munged >/dev/null; then
    if [ ! -s /etc/munge/munge.key ]; then
      dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
      chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- munged --force
  fi
  local memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  sed -e "s|@DIR@|$dir|g" -e "s|@HOST@|$(hostname -s)|g" -e "s|@CPUS@|$(nproc)|g" -e "s|@MEMORY@|$memory|g" \
    config/slurm/slurm.conf.in > "$conf.tmp" && mv "$conf.tmp" "$conf"
  alive "$dir/run/slurmctld.pid" || slurmctld -f "$conf"
  alive "$dir/run/slurmd.pid" || slurmd -f "$conf"
  # The node reports in within seconds; a minute without it is a broken setup, said plainly.
  for _ in $(seq 1 120); do
    state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
    case "$state" in idle|mixed|allocated) echo "slurm-cluster: up (node $(hostname -s) $state, SLURM_CONF=$conf)"; return 0 ;; esac
    sleep 0.5
  done
  echo "slurm-cluster: the node did not come up (state '$state'); see $dir/log" >&2
  tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  exit 1
}

down() {
  for daemon in slurmd slurmctld; do
    if alive "$dir/run/$daemon.pid"; then
      pid=$(cat "$dir/run/$daemon.pid")
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  echo "slurm-cluster: down"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
