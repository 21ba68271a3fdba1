// Command etcd is etcd's server, built from the module proxy: the etcd repository's own
// main package is not a separately published module, so this is the one-line equivalent.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
