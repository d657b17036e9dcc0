// Command txsync records purchases that partner systems send, exactly once. Run
// `txsync help` for its commands.
package main

import (
	"os"

	"github.com/txsync/txsync/bootstrap"
)

func main() {
	os.Exit(bootstrap.Main(os.Args[1:], os.Stdout, os.Stderr))
}
