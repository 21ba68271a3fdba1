# Policy pack: the analyzer binary for `pulumi preview/policy analyze --policy-pack`, and the
# offline check of a stack's plan (no cloud credentials).
POLICY_PACK := $(BIN)/rediskit-policy
POLICY_OUT  ?= $(BIN)/policy-reports

.PHONY: policy-pack policy-check

policy-pack:
	go build -o $(POLICY_PACK) ./cmd/rediskit-policy

# make policy-check STACK=prod [POLICY_CONFIG=policy.json]: readable report on stdout, SARIF and
# JUnit XML in $(POLICY_OUT); exits non-zero on any mandatory violation.
policy-check:
	@mkdir -p $(POLICY_OUT)
	go run ./cmd/rediskit policy check -s $(STACK) $(if $(POLICY_CONFIG),--config $(POLICY_CONFIG)) \
	  --sarif $(POLICY_OUT)/$(STACK).sarif --junit $(POLICY_OUT)/$(STACK).junit.xml

# Every stack under stacks/, one after the other; fails if any stack has a mandatory violation.
POLICY_STACKS ?= $(patsubst stacks/Pulumi.%.yaml,%,$(wildcard stacks/Pulumi.*.yaml))
.PHONY: policy-check-all
policy-check-all:
	@rc=0; for s in $(POLICY_STACKS); do $(MAKE) --no-print-directory policy-check STACK=$$s || rc=1; done; exit $$rc
