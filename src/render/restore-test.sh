#!/bin/sh
# Restore test rendered by ck8s-gen: restore the latest completed backup of $SCHEDULE for the
# tested namespaces into scratch namespaces, check the result, then delete the copies.
# Exit status 0 = passed, anything else = failed: the Job fails, kube-state-metrics reports
# kube_job_status_failed, the CronJob's lastSuccessfulTime stops advancing, and the
# RestoreTestFailed / RestoreTestOverdue alerts fire.
# Inputs (environment): VELERO_NAMESPACE, SCHEDULE, SCRATCH_NAMESPACES (space-separated),
# CLEANUP_TIMEOUT, and the Restore to create in /etc/restore-test/restore.yaml.
set -eu

log() {
  printf '%s restore-test: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

field() {
  kubectl -n "$VELERO_NAMESPACE" get "$restore" -o "jsonpath={$1}"
}

# The restored copy holds production data: it is deleted whatever the outcome, and a copy that
# cannot be deleted fails the test.
finish() {
  status=$?
  for ns in $SCRATCH_NAMESPACES; do
    if ! kubectl delete namespace "$ns" --ignore-not-found --timeout="$CLEANUP_TIMEOUT"; then
      log "ERROR: could not delete the scratch namespace $ns: the restored copy is still there"
      status=1
    fi
  done
  if [ "$status" -eq 0 ]; then
    log "PASSED"
  else
    log "FAILED"
  fi
  exit "$status"
}

# A scratch namespace left over from an earlier run would make Velero skip every object
# (existingResourcePolicy none) and hide a failed restore: remove it first.
for ns in $SCRATCH_NAMESPACES; do
  kubectl delete namespace "$ns" --ignore-not-found --timeout="$CLEANUP_TIMEOUT"
done
trap finish EXIT

restore=$(kubectl create -f /etc/restore-test/restore.yaml -o name)
log "created $restore from the latest completed backup of Schedule $SCHEDULE"
while :; do
  phase=$(field .status.phase)
  case "$phase" in
    Completed | PartiallyFailed | Failed | FailedValidation) break ;;
  esac
  sleep 10
done
log "phase=$phase backup=$(field .spec.backupName) items=$(field .status.progress.itemsRestored) warnings=$(field .status.warnings) errors=$(field .status.errors)"
if [ "$phase" != Completed ]; then
  log "see: velero -n $VELERO_NAMESPACE restore describe ${restore#*/} --details"
  exit 1
fi
for ns in $SCRATCH_NAMESPACES; do
  if ! kubectl get namespace "$ns" -o name; then
    log "ERROR: $ns was not restored: is its namespace in the backup?"
    exit 1
  fi
  # Never back the copy up, should the deletion below be slow (Velero skips labelled namespaces).
  kubectl label namespace "$ns" velero.io/exclude-from-backup=true --overwrite
done
