#!/usr/bin/env bash
# bench/slurm_local.sh: prove that the Impact ITIP workflow runs through SLURM with the cluster
# profile (workflow/profiles/slurm, SLURM executor plugin), and that it gives the same results
# as a local run, byte for byte. Not part of `make test`; run as root on a Debian machine:
#
#     sudo bash bench/slurm_local.sh              # clean clone of HEAD (committed files only)
#     sudo bash bench/slurm_local.sh --worktree   # working tree instead (uncommitted files too)
#
# What it does:
#   1. installs Debian's slurm-wlm and munge if missing (apt-get, non-interactive);
#   2. writes a single-node /etc/slurm/slurm.conf for this host (from bench/slurm/slurm.conf.in:
#      slurmctld and slurmd on localhost, the CPUs and RealMemory that `slurmd -C` reports, one
#      partition, no cgroups, no accounting database) and starts munged (if not running),
#      slurmctld and slurmd in the background, then waits until the node is idle and one srun
#      step has run. The default path is needed: the plugin's job step removes every SLURM_*
#      variable, SLURM_CONF included, before its inner srun. A slurm.conf that this script did
#      not write is never overwritten; the one it wrote is removed on exit;
#   3. makes two scratch copies of the repository (git clone of HEAD, or the working tree),
#      both using this repository's .venv (PATH) and their own src/ (PYTHONPATH);
#   4. runs the whole workflow in the first one through SLURM
#      (--workflow-profile workflow/profiles/slurm --executor slurm) and in the second one
#      locally (--cores 2), timing both;
#   5. compares the deterministic outputs of the two runs byte for byte and prints PASS or FAIL;
#   6. stops the daemons it started (trap on EXIT).
#
# Re-runnable: leftovers of an earlier run (its daemons, found by their pid files, and its
# scratch directory) are removed first. The output is also written to bench/slurm_local.log.
#
# Environment (all optional): WORK (scratch root, default /tmp/impact-slurm-local), LOG,
# VENV_BIN (default <repo>/.venv/bin), LOCAL_CORES (default 2), PARTITION (default impact),
# CTLD_PORT / SLURMD_PORT (default 6817 / 6818), STATUS_INTERVAL (seconds before the plugin's
# first status query and its minimum polling interval, default 5; the plugin's default of 40 s
# would add minutes of idle polling to a workflow whose jobs last seconds).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOURCE=clone
case "${1:-}" in
    --worktree) SOURCE=worktree ;;
    --clone | "") ;;
    -h | --help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--clone|--worktree]" >&2; exit 2 ;;
esac

WORK=${WORK:-/tmp/impact-slurm-local}
LOG=${LOG:-$REPO/bench/slurm_local.log}
VENV_BIN=${VENV_BIN:-$REPO/.venv/bin}
LOCAL_CORES=${LOCAL_CORES:-2}
PARTITION=${PARTITION:-impact}
CTLD_PORT=${CTLD_PORT:-6817}
SLURMD_PORT=${SLURMD_PORT:-6818}
STATUS_INTERVAL=${STATUS_INTERVAL:-5}
RUN_DIR=$WORK/slurm          # state, spool, daemon logs and pid files
SLURM_CONF_FILE=/etc/slurm/slurm.conf
CONF_MARKER="# written by Impact ITIP bench/slurm_local.sh"
WROTE_CONF=0
SLURM_COPY=$WORK/run-slurm
LOCAL_COPY=$WORK/run-local

# Outputs compared byte for byte (globs relative to a copy's root). Every other file under
# results/ is listed as "not compared", with the reason from EXCLUDED below and whether it
# happened to be identical anyway.
COMPARED=(
    "restricted/interim/*/*.parquet"         # harmonised rows, provenance (file, line)
    "results/interim/*/*.json"               # ingest reports: encoding, separator, mapping
    "restricted/codes/*/*.parquet"           # normalised pseudonymous codes (restricted zone)
    "restricted/validation/*/*/kept.parquet" # rows kept by validation
    "restricted/validation/*/*/quarantine.csv"  # quarantined rows, their values and reasons
    "restricted/validation/*/*/excluded.csv"
    "restricted/validation/*/*/corrections_applied.csv"
    "results/validation/*/*/quarantine.csv"  # redacted quarantine: row, check, column
    "results/validation/*/*/checks.csv"      # one line per expectation and its outcome
    "results/validation/*/*/accounting.json"
    "results/validation/row_accounting.csv"  # rows read = kept + quarantined + excluded
    "restricted/validation/gx/*"             # GX contexts (run time and ids made stable)
    "results/validation/data_docs/*"         # Data Docs (stable paths and ids, no value)
    "restricted/panel/*.parquet"             # respondent x wave panels
    "restricted/panel/*_linkage.csv"         # linkage decisions
    "results/panel/*_linkage_quality.csv"
    "results/panel/*_attrition.csv"
    "results/indicators/*.csv"               # THE indicator tables (per programme, pooled)
    "results/datapackage.json"               # Frictionless descriptor of those tables
    "results/report/impact_itip.html"        # the report itself (dated by SOURCE_DATE_EPOCH)
    "results/report/impact_itip.pdf"
    "results/report/impact_itip.ipynb"       # executed notebook, execution times removed
)
# (docs/reproducibility.md lists what may differ between two runs: provenance's start and end
# times, fixed here by SOURCE_DATE_EPOCH like the report's date.)
EXCLUDED=(
    "results/provenance.json|provenance: start and end times (equal under SOURCE_DATE_EPOCH), checksums of the outputs"
)

log_and_tee() {
    mkdir -p "$(dirname "$LOG")"
    exec > >(tee "$LOG") 2>&1
}

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { say "ERROR: $*"; exit 1; }

STARTED_PIDS=()          # daemons started by this run, stopped on exit (by pid)
STOPPED=0
stop_daemons() {
    [ "$STOPPED" = 1 ] && return 0
    STOPPED=1
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    if [ "${#STARTED_PIDS[@]}" -gt 0 ]; then
        say "stopped the daemons started by this run (pids ${STARTED_PIDS[*]})"
    fi
    if [ "$WROTE_CONF" = 1 ] && head -n 1 "$SLURM_CONF_FILE" 2>/dev/null | grep -qF "$CONF_MARKER"; then
        rm -f "$SLURM_CONF_FILE"
        say "removed $SLURM_CONF_FILE"
    fi
}
on_exit() {
    local rc=$?
    stop_daemons
    if [ "$rc" -ne 0 ] && [ -z "${VERDICT:-}" ]; then
        echo "RESULT: FAIL (the script stopped with status $rc before the comparison)"
        for f in "$RUN_DIR"/log/*.log; do
            [ -f "$f" ] || continue
            echo "---- last lines of $f"
            tail -n 15 "$f"
        done
    fi
}

# A pid file of an earlier run whose process is still that daemon: stop it (by pid).
stop_leftover() {
    local pidfile=$1 name=$2 pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]; then
        say "stopping $name left over from an earlier run (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing slurm-wlm and munge (missing: ${missing[*]})"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    fi
    say "Debian packages: slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm 2>/dev/null || echo '?'), munge $(dpkg-query -W -f='${Version}' munge 2>/dev/null || echo '?')"
}

start_munge() {
    stop_leftover "$RUN_DIR/munged.pid" munged
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        say "munged already running: using it"
        return 0
    fi
    if [ ! -s /etc/munge/munge.key ]; then
        say "creating the munge key /etc/munge/munge.key"
        mkdir -p /etc/munge
        mungekey --create --keyfile=/etc/munge/munge.key
    fi
    chown munge:munge /etc/munge /etc/munge/munge.key
    chmod 0700 /etc/munge
    chmod 0400 /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    install -d -o munge -g munge -m 0755 "$RUN_DIR/munge"
    runuser -u munge -- munged --pid-file="$RUN_DIR/munge/munged.pid" \
        --log-file="$RUN_DIR/munge/munged.log"
    for _ in $(seq 1 50); do [ -s "$RUN_DIR/munge/munged.pid" ] && break; sleep 0.1; done
    local pid
    pid=$(cat "$RUN_DIR/munge/munged.pid")
    cp "$RUN_DIR/munge/munged.pid" "$RUN_DIR/munged.pid"
    STARTED_PIDS+=("$pid")
    munge -n </dev/null | unmunge >/dev/null || die "munged does not answer (see $RUN_DIR/munge/munged.log)"
    say "munged started (pid $pid)"
}

write_slurm_conf() {
    # slurmd -C: "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ... RealMemory=24105"
    local probe host cpus boards sockets cores threads memory
    probe=$(slurmd -C | head -n 1)
    field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$probe"; }
    host=$(hostname -s)
    cpus=$(field CPUs); boards=$(field Boards); sockets=$(field SocketsPerBoard)
    cores=$(field CoresPerSocket); threads=$(field ThreadsPerCore); memory=$(field RealMemory)
    # keep 512 MB for the daemons and this script
    memory=$((memory > 2048 ? memory - 512 : memory))
    mkdir -p "$RUN_DIR/state" "$RUN_DIR/spool" "$RUN_DIR/log" /etc/slurm
    if [ -e "$SLURM_CONF_FILE" ] && ! head -n 1 "$SLURM_CONF_FILE" | grep -qF "$CONF_MARKER"; then
        die "$SLURM_CONF_FILE exists and was not written by this script: not touching it"
    fi
    WROTE_CONF=1
    { echo "$CONF_MARKER (removed when it ends)"; sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|" -e "s|@BOARDS@|$boards|" \
        -e "s|@SOCKETS@|$sockets|" -e "s|@CORES@|$cores|" -e "s|@THREADS@|$threads|" \
        -e "s|@MEMORY@|$memory|" -e "s|@PARTITION@|$PARTITION|" -e "s|@RUN_DIR@|$RUN_DIR|g" \
        -e "s|@CTLD_PORT@|$CTLD_PORT|" -e "s|@SLURMD_PORT@|$SLURMD_PORT|" \
        "$REPO/bench/slurm/slurm.conf.in"; } >"$SLURM_CONF_FILE"
    cp "$SLURM_CONF_FILE" "$RUN_DIR/slurm.conf"   # a copy that outlives the run
    NODE=$host
    say "$SLURM_CONF_FILE: node $host, CPUs=$cpus, RealMemory=$memory MB, partition $PARTITION"
    grep -E '^(NodeName|PartitionName|ProctrackType|TaskPlugin|SelectType|JobAcctGather|AccountingStorageType|MinJobAge)' \
        "$SLURM_CONF_FILE" | sed 's/^/    /'
}

start_slurm() {
    slurmctld -D -c -i >"$RUN_DIR/log/slurmctld.out" 2>&1 &
    STARTED_PIDS+=("$!")
    local ctld=$!
    for _ in $(seq 1 60); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
    scontrol ping | grep -q UP || die "slurmctld does not answer"
    slurmd -D -c >"$RUN_DIR/log/slurmd.out" 2>&1 &
    STARTED_PIDS+=("$!")
    local slurmd_pid=$! state=""
    for i in $(seq 1 120); do
        state=$(sinfo -h -N -n "$NODE" -o %t 2>/dev/null | head -n 1)
        [ "$state" = idle ] && break
        if [ "$i" = 20 ] && [ -n "$state" ] && [ "$state" != idle ]; then
            scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true
        fi
        sleep 0.5
    done
    [ "$state" = idle ] || die "node $NODE is '$state', not idle"
    say "slurmctld (pid $ctld) and slurmd (pid $slurmd_pid) up; sinfo:"
    sinfo | sed 's/^/    /'
    # One job step, as the executor plugin will run them: sbatch -> srun
    local out
    out=$(timeout 120 srun --job-name=impact-smoke -n1 -t 1 --mem=64 hostname) ||
        die "srun smoke test failed"
    say "srun smoke test ran on: $out"
    # Memory enforcement is on: a step that outgrows its --mem is killed.
    if timeout 60 srun --job-name=impact-smoke -n1 -t 1 --mem=100 \
        python3 -c 'import time; x = b"x" * (400 << 20); time.sleep(5)' \
        >"$RUN_DIR/log/memory-check.out" 2>&1; then
        die "memory enforcement check: a step holding 400 MB under --mem=100 was not killed"
    fi
    say "memory enforcement check: a step holding 400 MB under --mem=100 was killed:" \
        "$(grep -m 1 -o -iE 'exceeded.*|out of memory.*|oom.*' "$RUN_DIR/log/memory-check.out" || echo 'non-zero exit')"
}

make_copy() {
    local dest=$1
    rm -rf "$dest"
    if [ "$SOURCE" = clone ]; then
        git clone --quiet --no-hardlinks "$REPO" "$dest"
    else
        mkdir -p "$dest"
        (cd "$REPO" && git ls-files -z -co --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
            tar --null -T - -cf -) | tar -xf - -C "$dest"
    fi
}

run_timed() { # name dir command...
    local name=$1 dir=$2
    shift 2
    local start end rc=0
    say "== $name run: (cd $dir && $*)"
    start=$(date +%s.%N)
    (cd "$dir" && PYTHONPATH="$dir/src" "$@") || rc=$?
    end=$(date +%s.%N)
    TIMES[$name]=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
    say "== $name run finished: exit status $rc, wall time ${TIMES[$name]} s"
    return "$rc"
}

compare_outputs() {
    local pattern f n_same=0 n_diff=0 n_missing=0
    declare -A seen=()
    echo
    say "byte-for-byte comparison, SLURM run vs local run"
    for pattern in "${COMPARED[@]}"; do
        local matched=0
        while IFS= read -r f; do
            [ -n "$f" ] || continue
            matched=1
            seen[$f]=1
            if [ ! -f "$LOCAL_COPY/$f" ]; then
                echo "    MISSING in local run  $f"; n_missing=$((n_missing + 1))
            elif cmp -s "$SLURM_COPY/$f" "$LOCAL_COPY/$f"; then
                echo "    same     $(sha256sum <"$SLURM_COPY/$f" | cut -c1-12)  $f"
                n_same=$((n_same + 1))
            else
                echo "    DIFFERS                $f"; n_diff=$((n_diff + 1))
            fi
        done < <(cd "$SLURM_COPY" && compgen -G "$pattern" | sort)
        if [ "$matched" = 0 ]; then
            echo "    MISSING in SLURM run  $pattern"; n_missing=$((n_missing + 1))
        fi
    done
    # files of the local run that the SLURM run lacks
    while IFS= read -r f; do
        for pattern in "${COMPARED[@]}"; do
            # shellcheck disable=SC2053  # glob matching intended
            if [[ $f == $pattern ]] && [ -z "${seen[$f]:-}" ]; then
                echo "    MISSING in SLURM run  $f"; n_missing=$((n_missing + 1))
            fi
        done
    done < <(cd "$LOCAL_COPY" && find results restricted -type f | sort)

    echo
    say "not compared byte for byte (non-deterministic by design), listed for completeness:"
    local entry glob reason count ident
    for entry in "${EXCLUDED[@]}"; do
        glob=${entry%%|*}; reason=${entry#*|}
        count=0; ident=0
        while IFS= read -r f; do
            # shellcheck disable=SC2053  # glob matching intended
            [[ $f == $glob ]] || continue
            count=$((count + 1))
            [ -f "$LOCAL_COPY/$f" ] && cmp -s "$SLURM_COPY/$f" "$LOCAL_COPY/$f" && ident=$((ident + 1))
        done < <(cd "$SLURM_COPY" && find results -type f | sort)
        printf '    %-34s %3d file(s), %2d identical anyway: %s\n' "$glob" "$count" "$ident" "$reason"
    done
    # anything under results/ that is neither compared nor excluded
    local others=0
    while IFS= read -r f; do
        local known=0
        # shellcheck disable=SC2053  # glob matching intended
        for pattern in "${COMPARED[@]}"; do [[ $f == $pattern ]] && known=1; done
        # shellcheck disable=SC2053
        for entry in "${EXCLUDED[@]}"; do [[ $f == ${entry%%|*} ]] && known=1; done
        if [ "$known" = 0 ]; then
            echo "    UNCLASSIFIED output: $f"; others=$((others + 1))
        fi
    done < <(cd "$SLURM_COPY" && find results restricted -type f | sort)

    echo
    say "compared $((n_same + n_diff + n_missing)) files: $n_same identical, $n_diff different, $n_missing missing; $others unclassified"
    if [ "$n_diff" = 0 ] && [ "$n_missing" = 0 ] && [ "$n_same" -gt 0 ]; then
        VERDICT=PASS
    else
        VERDICT=FAIL
    fi
}

slurm_job_table() {
    echo
    say "SLURM jobs of the workflow run (squeue --states=all; MinJobAge keeps finished jobs):"
    printf '    %6s %10s %4s %7s %9s %6s %-19s %s\n' JOBID STATE CPUS MIN_MEM TIMELIMIT TIME START COMMENT
    local jobs
    jobs=$(squeue --states=all --noheader --sort=i \
        -o '%j|%.6i %.10T %.4C %.7m %.9l %.6M %19S %k' 2>/dev/null |
        awk -F'|' '$1 != "impact-smoke" {print $2}')
    awk '{print "    " $0}' <<<"$jobs"
    say "$(wc -l <<<"$jobs") SLURM jobs; by state: $(awk '{print $2}' <<<"$jobs" | sort | uniq -c | awk '{printf "%s %s  ", $2, $1}')"
    # how many ran at the same time (start and end times from slurmctld)
    squeue --states=all --noheader -o '%j|%S|%e|%k' | awk -F'|' '$1 != "impact-smoke"' |
        python3 -c '
import sys
from datetime import datetime
spans = []
for line in sys.stdin:
    _, start, end, comment = line.rstrip("\n").split("|")
    spans.append((datetime.fromisoformat(start), datetime.fromisoformat(end), comment))
events = sorted([(s, 1) for s, _, _ in spans] + [(e, -1) for _, e, _ in spans], key=lambda x: (x[0], x[1]))
running = peak = 0
for _, step in events:
    running += step
    peak = max(peak, running)
first, last = min(s for s, _, _ in spans), max(e for _, e, _ in spans)
busy = sum((e - s).total_seconds() for s, e, _ in spans)
print(f"    at most {peak} jobs ran at once; {busy:.0f} job-seconds in {(last - first).total_seconds():.0f} s"
      f" from first start to last end (mean {busy / max(1, (last - first).total_seconds()):.2f} jobs running)")
'

}

benchmark_summary() {
    echo
    say "per-rule peak RSS and wall time (Snakemake benchmark: files), SLURM run | local run:"
    "$VENV_BIN/python" - "$SLURM_COPY" "$LOCAL_COPY" <<'PY'
import csv, sys
from pathlib import Path

def table(root):
    out = {}
    for tsv in sorted(Path(root, "benchmarks").glob("*/*.tsv")):
        with tsv.open() as f:
            row = list(csv.DictReader(f, delimiter="\t"))[-1]
        rule = tsv.parent.name
        rss, s = float(row["max_rss"]), float(row["s"])
        n, r0, s0 = out.get(rule, (0, 0.0, 0.0))
        out[rule] = (n + 1, max(r0, rss), max(s0, s))
    return out

slurm, local = table(sys.argv[1]), table(sys.argv[2])
print(f"    {'rule':<12} {'jobs':>4}  {'max_rss MB':>21}  {'max s':>15}")
for rule in sorted(set(slurm) | set(local)):
    n, r1, s1 = slurm.get(rule, (0, float("nan"), float("nan")))
    _, r2, s2 = local.get(rule, (0, float("nan"), float("nan")))
    print(f"    {rule:<12} {n:>4}  {r1:>9.1f} | {r2:>9.1f}  {s1:>6.1f} | {s2:>6.1f}")
PY
}

main() {
    [ "$(id -u)" = 0 ] || { echo "run as root (apt-get, munged, slurmd)" >&2; exit 1; }
    log_and_tee
    trap on_exit EXIT
    trap 'exit 130' INT TERM
    unset SLURM_CONF
    declare -gA TIMES=()
    COMMIT=$(git -C "$REPO" rev-parse --short HEAD)
    say "bench/slurm_local.sh on $(hostname) ($(nproc) CPUs, $(free -m | awk '/^Mem:/{print $2}') MB), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    say "repository $REPO at $COMMIT; source of the runs: $SOURCE"
    local dirty
    dirty=$(git -C "$REPO" status --porcelain --untracked-files=all)
    if [ -n "$dirty" ]; then
        if [ "$SOURCE" = clone ]; then
            say "note: uncommitted changes in the working tree are NOT part of this run (use --worktree):"
        else
            say "the runs use these uncommitted files of the working tree too (git status):"
        fi
        awk '{print "    " $0}' <<<"$dirty"
    fi
    if [ "$SOURCE" = clone ] && ! git -C "$REPO" cat-file -e HEAD:workflow/profiles/slurm/config.yaml 2>/dev/null; then
        die "workflow/profiles/slurm/config.yaml is not committed: commit it, or run with --worktree"
    fi
    [ -x "$VENV_BIN/snakemake" ] || die "$VENV_BIN/snakemake missing: run 'make run' (or make the .venv) first"
    say "snakemake $("$VENV_BIN/snakemake" --version), plugin $("$VENV_BIN/python" -m pip show snakemake-executor-plugin-slurm 2>/dev/null | awk '/^Version/{print $2}')"

    install_packages
    # leftovers of an earlier run: its daemons (by their pid files), then its scratch tree
    stop_leftover "$RUN_DIR/slurmd.pid" slurmd
    stop_leftover "$RUN_DIR/slurmctld.pid" slurmctld
    stop_leftover "$RUN_DIR/munged.pid" munged
    rm -rf "$WORK"
    mkdir -p "$RUN_DIR"
    start_munge
    write_slurm_conf
    start_slurm

    [ "$(git -C "$REPO" rev-parse --short HEAD)" = "$COMMIT" ] ||
        die "HEAD moved while the daemons started: run again"
    make_copy "$SLURM_COPY"
    make_copy "$LOCAL_COPY"
    say "scratch copies ($SOURCE, commit $COMMIT): $SLURM_COPY, $LOCAL_COPY"
    export PATH=$VENV_BIN:$PATH GX_ANALYTICS_ENABLED=false MPLBACKEND=Agg
    # both runs date the report from the commit (reproducible-builds convention), so the HTML
    # and PDF can be compared byte for byte too; sbatch --export=ALL passes it to the jobs
    SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct)
    export SOURCE_DATE_EPOCH
    unset PYTHONPATH
    local where
    where=$(cd "$SLURM_COPY" && PYTHONPATH=$SLURM_COPY/src python -c 'import impact; print(impact.__file__)')
    [[ $where == "$SLURM_COPY"/* ]] || die "impact is imported from $where, not from the copy"
    say "the copies import their own library (e.g. $where)"

    local rc_slurm=0 rc_local=0
    run_timed slurm "$SLURM_COPY" snakemake --workflow-profile workflow/profiles/slurm \
        --executor slurm \
        --slurm-status-command squeue \
        --slurm-init-seconds-before-status-checks "$STATUS_INTERVAL" \
        --slurm-keep-successful-logs || rc_slurm=$?
    slurm_job_table
    [ "$rc_slurm" = 0 ] || {
        for f in $(find "$SLURM_COPY/.snakemake/slurm_logs" -name '*.log' 2>/dev/null | head -n 5); do
            echo "---- $f"; tail -n 30 "$f"; done
        die "the SLURM run failed (exit status $rc_slurm)"
    }
    say "SLURM job logs: $(find "$SLURM_COPY/.snakemake/slurm_logs" -name '*.log' | wc -l) files under $SLURM_COPY/.snakemake/slurm_logs"

    run_timed local "$LOCAL_COPY" snakemake --cores "$LOCAL_CORES" || rc_local=$?
    [ "$rc_local" = 0 ] || die "the local run failed (exit status $rc_local)"

    stop_daemons
    benchmark_summary
    compare_outputs
    echo
    say "timings: SLURM run ${TIMES[slurm]} s (one sbatch job per rule instance, status polled every >= ${STATUS_INTERVAL} s), local run ${TIMES[local]} s (--cores $LOCAL_CORES)"
    echo "RESULT: $VERDICT  (SLURM run ${TIMES[slurm]} s, local run ${TIMES[local]} s, source: $SOURCE @ $COMMIT)"
    [ "$VERDICT" = PASS ]
}

main "$@"
