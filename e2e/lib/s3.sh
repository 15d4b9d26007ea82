# An S3 server on 127.0.0.1 for the e2e stages (sourced): moto's server, which enforces
# versioning and object lock. Usage:
#   s3_start NAME     starts a server, sets S3_<NAME>_ENDPOINT (http://127.0.0.1:PORT), registers
#                     its stop in the caller's EXIT handling via s3_stop_all
#   s3_stop_all       stops every server this shell started
# Credentials: moto accepts any; the stages use fixed test keys.
S3_PIDS=()
s3_start() {
  local name="$1" port log
  port="$(e2e_free_port)"
  log="${E2E_LOGS:-/tmp}/s3-$name.log"
  moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  S3_PIDS+=($!)
  local i
  for i in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/data.json', timeout=1)" 2>/dev/null; then
      printf -v "S3_${name^^}_ENDPOINT" 'http://127.0.0.1:%s' "$port"
      export "S3_${name^^}_ENDPOINT"
      return 0
    fi
    sleep 0.2
  done
  echo "e2e: the S3 server $name did not start (log: $log)" >&2
  cat "$log" >&2
  return 1
}
s3_stop_all() {
  local p
  for p in "${S3_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  S3_PIDS=()
}
