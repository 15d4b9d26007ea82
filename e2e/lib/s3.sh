# S3 servers on 127.0.0.1 for the e2e stages (sourced). Two independent implementations, both
# with versioning and object lock enforced:
#   moto       moto's server (PyPI moto[server], e2e/requirements.txt); request log: its stderr
#   versitygw  the Versity S3 Gateway, posix backend with a versioning directory (built by
#              e2e/stages/offsite/install into $E2E_TOOLS/bin); request log: its access log
# Usage:
#   s3_start NAME [IMPL [REGION [iam]]]
#                         starts a server (IMPL: moto, the default, or versitygw), sets
#                         S3_<NAME>_ENDPOINT (http://127.0.0.1:PORT); its request log is
#                         $E2E_LOGS/s3-NAME.log. versitygw checks the region of every
#                         request's signature, as S3 does (REGION, default us-east-1); moto
#                         accepts any region. `iam` (versitygw): with its internal IAM
#                         (users made with `versitygw admin create-user`, bucket policies).
#   s3_stop_all           stops every server this shell started and removes their data
# Credentials: moto accepts any key; versitygw's root user is e2e-key / e2e-secret, the fixed
# test keys of the stages.
S3_PIDS=()
S3_DIRS=()
s3_start() {
  local name="$1" impl="${2:-moto}" region="${3:-us-east-1}" iam="${4:-}" port log data iam_args=()
  port="$(e2e_free_port)"
  log="${E2E_LOGS:-/tmp}/s3-$name.log"
  case "$impl" in
    moto)
      moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
      S3_PIDS+=($!)
      ;;
    versitygw)
      data="$(mktemp -d "/tmp/ck8s-e2e-s3-$name.XXXXXX")"
      S3_DIRS+=("$data")
      mkdir -p "$data/buckets" "$data/versions"
      if [ "$iam" = iam ]; then mkdir -p "$data/iam"; iam_args=(--iam-dir "$data/iam"); fi
      : >"$log"
      ROOT_ACCESS_KEY=e2e-key ROOT_SECRET_KEY=e2e-secret \
        versitygw --port "127.0.0.1:$port" --region "$region" "${iam_args[@]}" --quiet --access-log "$log" \
        posix --versioning-dir "$data/versions" "$data/buckets" >"$log.server" 2>&1 &
      S3_PIDS+=($!)
      ;;
    *) echo "e2e: unknown S3 implementation $impl" >&2; return 2 ;;
  esac
  local i
  for i in $(seq 1 100); do
    # Up when it answers HTTP at all (versitygw answers an unsigned request with 403).
    if python3 - "$port" 2>/dev/null <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1)
except urllib.error.HTTPError:
    pass
PY
    then
      printf -v "S3_${name^^}_ENDPOINT" 'http://127.0.0.1:%s' "$port"
      export "S3_${name^^}_ENDPOINT"
      return 0
    fi
    sleep 0.2
  done
  echo "e2e: the S3 server $name ($impl) did not start (log: $log)" >&2
  cat "$log" "$log.server" >&2 2>/dev/null || true
  return 1
}
s3_stop_all() {
  local p d
  for p in "${S3_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for d in "${S3_DIRS[@]}"; do rm -rf "$d"; done
  S3_PIDS=()
  S3_DIRS=()
}
