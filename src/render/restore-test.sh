#!/bin/sh
# Restore test rendered by ck8s-gen: restore the latest completed backup of $SCHEDULE for the
# tested namespaces into scratch namespaces, check the result, delete the copies, and record
# the result. Exit status 0 = passed, anything else = failed: the Job fails, kube-state-metrics
# reports kube_job_status_failed, the CronJob's lastSuccessfulTime stops advancing, and the
# RestoreTestFailed / RestoreTestOverdue alerts fire.
#
# Interface (environment; e2e/stages/scripts/README.md runs it against a simulated API):
#   VELERO_NAMESPACE    namespace of Velero, the Restore and the history ConfigMap
#   SCHEDULE            Schedule whose latest completed backup the Restore uses (log only)
#   SCRATCH_NAMESPACES  the copies, space-separated (the Restore's namespaceMapping targets)
#   MIN_ITEMS           fewest restored items (status.progress.itemsRestored) for a pass
#   RESTORE_TIMEOUT     seconds to wait for the Restore before the test fails (below the RTO)
#   ABORT_WAIT          seconds to let a still-running Restore end before deleting the copies
#   CLEANUP_TIMEOUT     seconds to wait for the copies to be gone
#   POLL_SECONDS        seconds between polls (default 10)
#   HISTORY_CONFIGMAP   ConfigMap keeping the last HISTORY_KEEP results (key `history`, one
#   HISTORY_KEEP        JSON object a line)
#   RESTORE_FILE        the Restore to create (default /etc/restore-test/restore.yaml)
# kubectl calls (each with --request-timeout): create -f RESTORE_FILE -o name; get restores
# (one by name, and those labelled ck8s-gen.io/restore-test=true) -o jsonpath; get namespace
# NS --ignore-not-found -o name; label namespace NS; delete namespace NS... --wait=false;
# get / patch configmap HISTORY_CONFIGMAP.
#
# Signals: SIGTERM (the Job's activeDeadlineSeconds, a deleted pod), SIGINT and SIGHUP stop the
# test and run the same cleanup, also when the shell is PID 1 (which ignores signals it has no
# handler for). Every wait is a short `sleep` in the background, so a signal is handled at once.
# shellcheck disable=SC2317 # finish and stop run from traps
set -u

VELERO_NAMESPACE=${VELERO_NAMESPACE:?}
SCHEDULE=${SCHEDULE:?}
SCRATCH_NAMESPACES=${SCRATCH_NAMESPACES:?}
MIN_ITEMS=${MIN_ITEMS:-2}
RESTORE_TIMEOUT=${RESTORE_TIMEOUT:-14280}
ABORT_WAIT=${ABORT_WAIT:-300}
CLEANUP_TIMEOUT=${CLEANUP_TIMEOUT:-300}
POLL_SECONDS=${POLL_SECONDS:-10}
HISTORY_CONFIGMAP=${HISTORY_CONFIGMAP:-ck8s-restore-test-history}
HISTORY_KEEP=${HISTORY_KEEP:-20}
RESTORE_FILE=${RESTORE_FILE:-/etc/restore-test/restore.yaml}

restore='' phase='' backup='' items='' total='' warnings='' errors=''
reason='' status=1 sleeper='' labelled=''
started=$(date +%s)
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)

log() {
  printf '%s restore-test: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

k() {
  kubectl --request-timeout=30s "$@"
}

# Only plain characters from the API reach the log and the JSON record.
plain() {
  printf '%s' "$1" | tr -cd 'A-Za-z0-9._:/ ()=,-' | cut -c1-200
}

number() {
  case "$1" in
    '' | *[!0-9]*) printf null ;;
    *) printf '%s' "$1" ;;
  esac
}

elapsed() {
  echo $(($(date +%s) - started))
}

# Sleep in the background: `wait` returns as soon as a trapped signal arrives.
nap() {
  sleep "$1" &
  sleeper=$!
  wait "$sleeper" || :
  sleeper=''
}

fail() {
  reason=$(plain "$1")
  log "ERROR: $1"
  status=1
  exit 1
}

ended() {
  case "$1" in
    Completed | PartiallyFailed | Failed | FailedValidation) return 0 ;;
  esac
  return 1
}

# Reads the Restore's phase, backup and counters; fails (status 1) when the API does not answer.
read_restore() {
  out=$(k -n "$VELERO_NAMESPACE" get "$restore" -o 'jsonpath={.status.phase}|{.spec.backupName}|{.status.progress.itemsRestored}|{.status.progress.totalItems}|{.status.warnings}|{.status.errors}') || return 1
  IFS='|' read -r phase backup items total warnings errors <<EOF
$out
EOF
  phase=$(plain "$phase")
  backup=$(plain "$backup")
}

# The copies are never backed up: label each one as soon as Velero has created it (the daily
# Schedule also lists them in excludedNamespaces, and skips resources with the opt-out label).
label_copies() {
  for ns in $SCRATCH_NAMESPACES; do
    case " $labelled " in *" $ns "*) continue ;; esac
    if [ -n "$(k get namespace "$ns" --ignore-not-found -o name)" ] &&
      k label namespace "$ns" compliantkubernetes.io/nobackup=restore-test velero.io/exclude-from-backup=true --overwrite >/dev/null; then
      labelled="$labelled $ns"
      log "labelled the copy $ns for exclusion from backups"
    fi
  done
}

# Deletes every copy and waits (CLEANUP_TIMEOUT) until all are gone; status 1 if one is left.
delete_copies() {
  present=''
  for ns in $SCRATCH_NAMESPACES; do
    if [ -n "$(k get namespace "$ns" --ignore-not-found -o name)" ]; then
      present="$present $ns"
    fi
  done
  [ -z "$present" ] && return 0
  # shellcheck disable=SC2086 # one word per namespace
  if ! k delete namespace $present --ignore-not-found --wait=false; then
    log "ERROR: could not delete the copies$present"
    return 1
  fi
  deadline=$(($(date +%s) + CLEANUP_TIMEOUT))
  while :; do
    left=''
    for ns in $present; do
      if [ -n "$(k get namespace "$ns" --ignore-not-found -o name)" ]; then
        left="$left $ns"
      fi
    done
    [ -z "$left" ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "ERROR: the copies$left are still there after ${CLEANUP_TIMEOUT}s: they hold production data, delete them"
      return 1
    fi
    nap "$POLL_SECONDS"
  done
}

# Waits up to $1 seconds for a Restore ($restore) to end; status 1 if it still runs.
wait_restore() {
  deadline=$(($(date +%s) + $1))
  while :; do
    if read_restore && ended "$phase"; then
      return 0
    fi
    label_copies
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    nap "$POLL_SECONDS"
  done
}

# One line of JSON, appended to the history ConfigMap, which keeps the last HISTORY_KEEP.
record() {
  result=failed
  [ "$status" -eq 0 ] && result=passed
  entry=$(printf '{"start":"%s","end":"%s","seconds":%s,"result":"%s","restore":"%s","schedule":"%s","backup":"%s","phase":"%s","itemsRestored":%s,"totalItems":%s,"minItems":%s,"warnings":%s,"errors":%s,"reason":"%s"}' \
    "$started_at" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(elapsed)" "$result" "$(plain "${restore#*/}")" \
    "$(plain "$SCHEDULE")" "$backup" "$phase" "$(number "$items")" "$(number "$total")" \
    "$(number "$MIN_ITEMS")" "$(number "$warnings")" "$(number "$errors")" "$reason")
  if ! old=$(k -n "$VELERO_NAMESPACE" get configmap "$HISTORY_CONFIGMAP" -o 'jsonpath={.data.history}'); then
    log "ERROR: could not read the ConfigMap $HISTORY_CONFIGMAP: this result is not recorded"
    return 1
  fi
  history=$({
    printf '%s\n' "$old" | tr -d '\r\t' | grep '^{.*}$'
    printf '%s\n' "$entry"
  } | tail -n "$HISTORY_KEEP" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk '{ printf "%s\\n", $0 }')
  if ! k -n "$VELERO_NAMESPACE" patch configmap "$HISTORY_CONFIGMAP" --type merge -p "{\"data\":{\"history\":\"$history\"}}" >/dev/null; then
    log "ERROR: could not update the ConfigMap $HISTORY_CONFIGMAP: this result is not recorded"
    return 1
  fi
  log "recorded: $entry"
}

# Runs once, on every exit: let a running Restore end (Velero would re-create deleted copies),
# delete the copies (a copy that cannot be deleted fails the test), record the result.
finish() {
  trap '' TERM INT HUP
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  if [ -n "$restore" ] && ! ended "$phase"; then
    log "waiting up to ${ABORT_WAIT}s for $restore to end before deleting the copies"
    if ! wait_restore "$ABORT_WAIT"; then
      log "ERROR: $restore still runs (phase '${phase}'): deleting the copies anyway; Velero may re-create them, the next run deletes them first"
    fi
  fi
  if ! delete_copies; then
    status=1
    [ -z "$reason" ] && reason='the copies could not be deleted'
  fi
  record || status=1
  if [ "$status" -eq 0 ]; then log PASSED; else log "FAILED: $reason"; fi
  exit "$status"
}

stop() {
  reason="stopped by SIG$1 after $(elapsed)s (the Job's deadline is the RTO)"
  log "$reason"
  status=$2
  exit "$2"
}

trap finish EXIT
trap 'stop TERM 143' TERM
trap 'stop INT 130' INT
trap 'stop HUP 129' HUP

# An earlier test's Restore that still runs would re-create the copies deleted below.
earlier=$(k -n "$VELERO_NAMESPACE" get restores -l ck8s-gen.io/restore-test=true -o 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\n"}{end}') ||
  fail "could not list the earlier restore tests"
for line in $earlier; do
  ended "${line#*=}" && continue
  restore="restore.velero.io/${line%%=*}"
  log "the earlier $restore is still running: waiting up to ${ABORT_WAIT}s"
  if ! wait_restore "$ABORT_WAIT"; then
    restore=''
    fail "the earlier restore test ${line%%=*} is still running"
  fi
  restore='' phase='' backup='' items='' total='' warnings='' errors=''
done

# A copy left over from an earlier run would make Velero skip every object
# (existingResourcePolicy none) and hide a failed restore: remove it first.
delete_copies || fail "could not delete the copies left over from an earlier run"

restore=$(k create -f "$RESTORE_FILE" -o name) || {
  restore=''
  fail "could not create the Restore from $RESTORE_FILE"
}
restore=$(plain "$restore")
log "created $restore from the latest completed backup of Schedule $SCHEDULE"
wait_restore "$RESTORE_TIMEOUT" || fail "$restore did not end within ${RESTORE_TIMEOUT}s (phase '${phase}'): slower than the RTO"
label_copies
log "phase=$phase backup=$backup items=$items/$total warnings=$warnings errors=$errors"
if [ "$phase" != Completed ]; then
  log "see: velero -n $VELERO_NAMESPACE restore describe ${restore#*/} --details"
  fail "$restore ended $phase"
fi
for ns in $SCRATCH_NAMESPACES; do
  [ -n "$(k get namespace "$ns" --ignore-not-found -o name)" ] ||
    fail "the copy $ns was not restored: is its namespace in the backup?"
done
case "$items" in '' | *[!0-9]*) items=0 ;; esac
[ "$items" -ge "$MIN_ITEMS" ] ||
  fail "only $items items restored, fewer than $MIN_ITEMS: the backup holds (almost) nothing of the tested namespaces"
status=0
exit 0
