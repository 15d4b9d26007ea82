# A Kubernetes control plane on 127.0.0.1 for the velero stage (sourced): embedded etcd,
# kube-apiserver (RBAC, default admission plugins including PodSecurity) and kube-controller-manager
# with only the namespace and garbage-collector controllers (so deleted namespaces go away). No
# kubelet, no scheduler: objects only, no pod ever runs. Certificates, the service-account key and
# the kubeconfig are generated per run with openssl under $1.
#   cluster_start DIR   sets KUBECONFIG; registers the processes in CLUSTER_PIDS
#   cluster_stop        stops them (the caller's EXIT trap)
CLUSTER_PIDS=()

cluster_certs() {
  local d="$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=e2e-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$d/apiserver.ext"
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/apiserver.ext" -out "$d/apiserver.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=e2e-admin" \
    -keyout "$d/admin.key" -out "$d/admin.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$d/admin.ext"
  openssl x509 -req -in "$d/admin.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/admin.ext" -out "$d/admin.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

cluster_start() {
  local d="$1" etcd_port peer_port api_port kcm_port i
  mkdir -p "$d/etcd"
  cluster_certs "$d"
  etcd_port=$(e2e_free_port); peer_port=$(e2e_free_port)
  etcd --data-dir "$d/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" >"$d/etcd.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  api_port=$(e2e_free_port)
  kube-apiserver --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --tls-cert-file="$d/apiserver.crt" --tls-private-key-file="$d/apiserver.key" \
    --client-ca-file="$d/ca.crt" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$d/sa.pub" \
    --service-account-signing-key-file="$d/sa.key" --service-cluster-ip-range=10.0.0.0/24 \
    --allow-privileged=false --enable-priority-and-fairness=false \
    >"$d/apiserver.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  export KUBECONFIG="$d/kubeconfig"
  cat >"$KUBECONFIG" <<KC
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $d/ca.crt
users:
- name: admin
  user:
    client-certificate: $d/admin.crt
    client-key: $d/admin.key
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
KC
  for i in $(seq 1 240); do
    if kubectl get --raw /readyz >/dev/null 2>&1; then break; fi
    if [ "$i" = 240 ]; then
      echo "velero: kube-apiserver not ready after 120 s" >&2; tail -30 "$d/apiserver.log" >&2; return 1
    fi
    sleep 0.5
  done
  kcm_port=$(e2e_free_port)
  kube-controller-manager --kubeconfig="$KUBECONFIG" --bind-address=127.0.0.1 --secure-port="$kcm_port" \
    --controllers=namespace,garbagecollector --leader-elect=false \
    --authentication-kubeconfig="$KUBECONFIG" --authorization-kubeconfig="$KUBECONFIG" \
    >"$d/controller-manager.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  echo "velero: kube-apiserver $(kubectl version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])') ready on 127.0.0.1:$api_port (etcd 127.0.0.1:$etcd_port)"
}

cluster_stop() {
  local i
  for (( i=${#CLUSTER_PIDS[@]}-1; i>=0; i-- )); do
    kill "${CLUSTER_PIDS[$i]}" 2>/dev/null || true
    wait "${CLUSTER_PIDS[$i]}" 2>/dev/null || true
  done
  CLUSTER_PIDS=()
}
