# Policy pack: the analyzer binary for `pulumi preview/policy analyze --policy-pack`, and the
# offline check of a stack's plan (no cloud credentials).
POLICY_PACK  := $(BIN)/rediskit-policy
REDISKIT_CLI := $(BIN)/rediskit
POLICY_OUT   ?= $(BIN)/policy-reports

.PHONY: policy-pack rediskit-cli policy-check policy-check-all

policy-pack:
	go build -o $(POLICY_PACK) ./cmd/rediskit-policy

# The built command line. The checks run it rather than `go run`, which turns every non-zero
# exit code into 1: `rediskit policy check` exits 0 (no mandatory violation), 1 (mandatory
# violations) or 2 (bad invocation, invalid config, a stack that cannot be planned).
rediskit-cli:
	go build -o $(REDISKIT_CLI) ./cmd/rediskit

# make policy-check STACK=prod [POLICY_CONFIG=policy.json]: readable report on stdout, SARIF and
# JUnit XML in $(POLICY_OUT). make itself exits 2 on any failed recipe, so the recipe names the
# command's own exit code; CI that needs it runs $(REDISKIT_CLI) directly (see
# .github/workflows/policy.yml).
policy-check: rediskit-cli
	@mkdir -p $(POLICY_OUT)
	@rc=0; $(REDISKIT_CLI) policy check -s $(STACK) $(if $(POLICY_CONFIG),--config $(POLICY_CONFIG)) \
	  --sarif $(POLICY_OUT)/$(STACK).sarif --junit $(POLICY_OUT)/$(STACK).junit.xml || rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "rediskit policy check -s $(STACK): exit code $$rc (1: mandatory violations, 2: invocation, config or plan error)" >&2; fi; \
	exit $$rc

# Every stack under stacks/, one after the other with the binary built once; exits with the
# highest code of any stack (2 over 1 over 0).
POLICY_STACKS ?= $(patsubst stacks/Pulumi.%.yaml,%,$(wildcard stacks/Pulumi.*.yaml))
policy-check-all: rediskit-cli
	@mkdir -p $(POLICY_OUT)
	@worst=0; for s in $(POLICY_STACKS); do \
	  rc=0; $(REDISKIT_CLI) policy check -s $$s $(if $(POLICY_CONFIG),--config $(POLICY_CONFIG)) \
	    --sarif $(POLICY_OUT)/$$s.sarif --junit $(POLICY_OUT)/$$s.junit.xml || rc=$$?; \
	  echo "stack $$s: exit code $$rc"; [ $$rc -gt $$worst ] && worst=$$rc; \
	done; exit $$worst
