// Command infra is the entry point `pulumi up` builds (Pulumi.yaml: main: infra/).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/infra/program"
)

func main() { pulumi.Run(program.Run) }
