# S3 servers on 127.0.0.1 for the e2e stages (sourced). Three independent implementations, all
# with versioning and object lock enforced:
#   moto       moto's server (PyPI moto[server], e2e/requirements.txt); request log: its stderr
#   versitygw  the Versity S3 Gateway, posix backend with a versioning directory (built by
#              e2e/stages/offsite/install into $E2E_TOOLS/bin); request log: its access log
#   rgw        the Ceph RADOS Gateway (Debian's radosgw, installed by e2e/stages/offsite/install)
#              on a one-host Ceph cluster of its own (rgw_start below), HTTPS only; request log:
#              the radosgw log (beast access lines)
# Usage:
#   s3_start NAME [IMPL [REGION [iam]]]
#                         starts a server (IMPL: moto, the default, or versitygw), sets
#                         S3_<NAME>_ENDPOINT (http://127.0.0.1:PORT; rgw: https://, with
#                         S3_<NAME>_CA the CA file that signed its certificate and
#                         S3_<NAME>_CEPH_CONF the cluster's ceph.conf); its request log is
#                         $E2E_LOGS/s3-NAME.log. versitygw checks the region of every
#                         request's signature, as S3 does (REGION, default us-east-1); moto
#                         accepts any region. `iam` (versitygw): with its internal IAM
#                         (users made with `versitygw admin create-user`, bucket policies).
#   s3_stop_all           stops every server this shell started and removes their data
# Credentials: moto accepts any key; versitygw's root user and rgw's user `e2e` are
# e2e-key / e2e-secret, the fixed test keys of the stages.
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
    rgw)
      data="$(mktemp -d "/tmp/ck8s-e2e-s3-$name.XXXXXX")"
      S3_DIRS+=("$data")
      rgw_start "$data" "$port" "$log" || return 1
      printf -v "S3_${name^^}_CA" '%s' "$data/ca.pem"
      printf -v "S3_${name^^}_CEPH_CONF" '%s' "$data/ceph.conf"
      export "S3_${name^^}_CA" "S3_${name^^}_CEPH_CONF"
      printf -v "S3_${name^^}_ENDPOINT" 'https://127.0.0.1:%s' "$port"
      export "S3_${name^^}_ENDPOINT"
      return 0
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
# rgw_start DIR PORT LOG: a one-host Ceph cluster under DIR, every daemon in the foreground of
# this shell (no systemd), on 127.0.0.1 only: one monitor (msgr v2), one OSD on memstore (pools
# of size 1), no manager (nothing here needs one), and radosgw with the beast frontend serving
# HTTPS on PORT with a certificate for 127.0.0.1 signed by a CA made here (DIR/ca.pem). RGW
# refuses SSE-C over plain HTTP (rgw_crypt_require_ssl), so the suite uses TLS, as S3 does.
# Lifecycle: one lifecycle "day" is rgw_lc_debug_interval = 1 second, and radosgw runs no
# lifecycle thread of its own: rules run only when the suite calls `radosgw-admin lc process`
# (so a rule never races a running sync). The user e2e (e2e-key / e2e-secret) owns the buckets.
rgw_start() {
  local d="$1" port="$2" log="$3" monport fsid uuid id i start
  start=$(date +%s)
  monport="$(e2e_free_port)"
  mkdir -p "$d/mon" "$d/osd0" "$d/run" "$d/log"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ck8s-gen e2e CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/tls.key" -out "$d/tls.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/tls.ext"
  openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/tls.ext" -out "$d/tls.pem" 2>/dev/null
  chmod 644 "$d/ca.pem"
  fsid="$(python3 -c 'import uuid; print(uuid.uuid4())')"
  cat >"$d/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$monport
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
run dir = $d/run
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
mon data = $d/mon
osd data = $d/osd\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
rgw lc debug interval = 1
[client.rgw]
log file = $log
rgw frontends = beast ssl_endpoint=127.0.0.1:$port ssl_certificate=$d/tls.pem ssl_private_key=$d/tls.key
rgw enable lc threads = false
rgw dns name = 127.0.0.1
CONF
  local c=(-c "$d/ceph.conf")
  monmaptool --create --clobber --addv a "[v2:127.0.0.1:$monport]" --fsid "$fsid" "$d/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$d/monmap" || return 1
  ceph-mon "${c[@]}" -f -i a >"$d/log/mon.out" 2>&1 &
  S3_PIDS+=($!)
  uuid="$(python3 -c 'import uuid; print(uuid.uuid4())')"
  id="$(timeout 60 ceph "${c[@]}" --connect-timeout 30 osd new "$uuid")" || return 1
  ceph-osd "${c[@]}" -i "$id" --mkfs --osd-uuid "$uuid" 2>/dev/null || return 1
  ceph-osd "${c[@]}" -f -i "$id" >"$d/log/osd.out" 2>&1 &
  S3_PIDS+=($!)
  : >"$log"
  radosgw "${c[@]}" -f -n client.rgw >"$d/log/radosgw.out" 2>&1 &
  S3_PIDS+=($!)
  for i in $(seq 1 300); do
    if curl -s -o /dev/null --cacert "$d/ca.pem" "https://127.0.0.1:$port/"; then
      radosgw-admin "${c[@]}" user create --uid e2e --display-name "ck8s-gen e2e" \
        --access-key e2e-key --secret-key e2e-secret >/dev/null || return 1
      echo "e2e: rgw on https://127.0.0.1:$port (Ceph cluster in $d) up in $(( $(date +%s) - start )) s"
      return 0
    fi
    sleep 0.2
  done
  echo "e2e: radosgw did not start (logs in $d/log, $log)" >&2
  tail -n 30 "$log" "$d"/log/*.log >&2 2>/dev/null || true
  return 1
}

s3_stop_all() {
  local i d p
  # Newest first: a Ceph cluster's radosgw and OSD stop before the monitor they report to.
  for ((i = ${#S3_PIDS[@]} - 1; i >= 0; i--)); do
    p="${S3_PIDS[$i]}"
    kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
  done
  for d in "${S3_DIRS[@]}"; do rm -rf "$d"; done
  S3_PIDS=()
  S3_DIRS=()
}
