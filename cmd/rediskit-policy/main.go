// Command rediskit-policy is rediskit's policy pack as a plugin binary for the Pulumi engine:
//
//	pulumi preview --policy-pack bin/rediskit-policy [--policy-pack-config policy.json]
//	pulumi policy analyze --policy-pack bin/rediskit-policy --file export.json
//
// The engine starts it, reads the port it prints and speaks the analyzer protocol to it.
package main

import (
	"fmt"
	"os"

	"github.com/rediskit/rediskit/policies/pack"
)

func main() {
	if err := pack.Main(); err != nil {
		fmt.Fprintf(os.Stderr, "rediskit-policy: %v\n", err)
		os.Exit(1)
	}
}
