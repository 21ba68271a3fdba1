# The aws-validate gate (included by the top Makefile; docs/components.md, "AWS provider gate").
#   make aws-validate-tools  build terraform-provider-aws and Terraform once (cached by version)
#   make aws-validate        then have the real provider validate and plan every AWS stack
.PHONY: aws-validate-tools aws-validate

aws-validate-tools:
	@bash infra/awsvalidate/build.sh

aws-validate: aws-validate-tools
	RK_REQUIRE_DEPS=1 go test -count=1 -timeout 30m ./infra/awsvalidate/

# `make test` builds the tools first; its `go test ./...` runs the gate's tests with the rest.
TEST_DEPS += aws-validate-tools
