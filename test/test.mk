# End-to-end tests (included by the top Makefile). `make test` runs them with everything else;
# these targets run them alone.
#   make e2e             the self-hosted target through the Automation API (real Redis, Docker)
#   make aws-acceptance  the AWS stacks, checked with aws-sdk-go-v2 (needs AWS credentials; skips without)
.PHONY: e2e aws-acceptance

e2e: tools provider image
	go test -count=1 -v -timeout 40m ./test/

aws-acceptance: tools provider
	go test -count=1 -v -tags awsacceptance -run TestAWSStacks -timeout 180m ./test/
