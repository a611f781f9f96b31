// Command etcd is etcd's own server entry point, built from the module pinned
// in go.mod (scripts/control-plane/install.sh builds it).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
