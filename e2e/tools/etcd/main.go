// Command etcd is the etcd server, built from its library so the end-to-end
// tests need nothing but the Go toolchain.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
