#!/usr/bin/env bash
# Starts a Kubernetes control plane on loopback, all of its state in one
# directory:   start.sh <state-dir>
# - etcd (data in <state-dir>/etcd, no fsync: test data);
# - kube-apiserver: a CA generated here, a serving certificate for 127.0.0.1,
#   service-account signing keys, an admin client certificate
#   (system:masters) and <state-dir>/admin.kubeconfig;
# - kube-controller-manager with the job, cronjob, garbage-collector and
#   pod-GC controllers (no scheduler and no kubelet: jobkit's process kubelet
#   binds and runs the pods).
# Waits until the API server is ready and the controllers run, at most
# JOBKIT_K8S_READY_TIMEOUT seconds (default 120), else prints the failing
# component's log tail, stops what it started and exits 1. On success writes
# <state-dir>/env (KUBECONFIG=..., JOBKIT_K8S_SERVER=..., the PIDs) and
# prints the kubeconfig path. Stop with stop.sh <state-dir>.
# The binaries come from install.sh (built when missing).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state=${1:?usage: start.sh <state-dir>}
mkdir -p "$state"
state=$(cd "$state" && pwd)
bin=$(bash "$here/install.sh")
timeout=${JOBKIT_K8S_READY_TIMEOUT:-120}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
etcd_port=$(free_port)
peer_port=$(free_port)
api_port=$(free_port)

# --- certificates (openssl) ---
pki="$state/pki"
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj '/CN=jobkit-local-ca' 2>/dev/null
  cat >server.ext <<EXT
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth
EXT
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj '/CN=kube-apiserver' 2>/dev/null
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 2 -extfile server.ext 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj '/O=system:masters/CN=jobkit-admin' 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 2 -extfile client.ext 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
b64() { base64 -w0 <"$1"; }
kubeconfig="$state/admin.kubeconfig"
cat >"$kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: local
  context: { cluster: local, user: admin }
current-context: local
KC

pids=()
stop_all() { # SIGTERM, up to 5 s, then SIGKILL: nothing of a failed start keeps running
  local p _
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive == 0)) && return 0
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
fail() {
  echo "control-plane start: $1" >&2
  [[ -n ${2:-} && -f $2 ]] && { echo "--- last lines of $2:" >&2; tail -n 30 "$2" >&2; }
  stop_all
  exit 1
}

"$bin/etcd" --name default --data-dir "$state/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "default=http://127.0.0.1:$peer_port" --log-level warn >"$state/etcd.log" 2>&1 &
pids+=($!)
etcd_pid=$!

"$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
  --authorization-mode Node,RBAC --enable-priority-and-fairness=false --profiling=false \
  --endpoint-reconciler-type none --v 1 >"$state/kube-apiserver.log" 2>&1 &
pids+=($!)
api_pid=$!

deadline=$(($(date +%s) + timeout))
curl_api() { curl -s --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://127.0.0.1:$api_port$1"; }
until [[ $(curl_api /readyz 2>/dev/null || true) == ok ]]; do
  kill -0 "$etcd_pid" 2>/dev/null || fail "etcd exited" "$state/etcd.log"
  kill -0 "$api_pid" 2>/dev/null || fail "kube-apiserver exited" "$state/kube-apiserver.log"
  (($(date +%s) < deadline)) || fail "kube-apiserver not ready within ${timeout} s" "$state/kube-apiserver.log"
  sleep 0.5
done

"$bin/kube-controller-manager" --kubeconfig "$kubeconfig" \
  --controllers job-controller,cronjob-controller,garbage-collector-controller,pod-garbage-collector-controller \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 --use-service-account-credentials=false \
  --root-ca-file "$pki/ca.crt" --v 1 >"$state/kube-controller-manager.log" 2>&1 &
pids+=($!)
kcm_pid=$!
# Running once the job controller has started its workers.
until grep -q 'Started controller.*job\|"Starting" controller="job"\|Starting job controller\|"Started controller" controller="job-controller"' "$state/kube-controller-manager.log" 2>/dev/null; do
  kill -0 "$kcm_pid" 2>/dev/null || fail "kube-controller-manager exited" "$state/kube-controller-manager.log"
  (($(date +%s) < deadline)) || fail "kube-controller-manager's job controller not started within ${timeout} s" "$state/kube-controller-manager.log"
  sleep 0.5
done

cat >"$state/env" <<ENV
KUBECONFIG=$kubeconfig
JOBKIT_K8S_SERVER=https://127.0.0.1:$api_port
JOBKIT_K8S_PIDS="$etcd_pid $api_pid $kcm_pid"
ENV
echo "$kubeconfig"
