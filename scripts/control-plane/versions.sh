# Pinned versions of the control-plane binaries (sourced by install.sh and
# update-modules.sh). After changing one, run update-modules.sh to regenerate
# kube/go.mod, etcd/go.mod and their go.sum, and commit them.

# Kubernetes release; its staging modules (k8s.io/api, ...) are tagged v0.<minor>.<patch>.
JOBKIT_KUBE_VERSION=v1.36.3
JOBKIT_KUBE_STAGING_VERSION=v0.36.3
# etcd server: the version Kubernetes v1.36.3 tests against (hack/lib/etcd.sh,
# kubeadm's DefaultEtcdVersion).
JOBKIT_ETCD_VERSION=v3.6.8
# The Go toolchain install.sh fetches from the Go module proxy when the
# machine has no Go at least this new (kube/go.mod says go 1.26.0).
JOBKIT_GO_VERSION=1.26.8
