//go:build tools

// Package deps pins modules the project builds on before every package that imports them exists.
package deps

import (
	_ "github.com/aws/aws-sdk-go-v2/service/elasticache"
	_ "github.com/gruntwork-io/terratest/modules/retry"
	_ "github.com/gruntwork-io/terratest/modules/test-structure"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	_ "github.com/pulumi/pulumi-go-provider/infer"
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/go/auto"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	_ "github.com/redis/go-redis/v9"
)
