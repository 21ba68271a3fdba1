# rediskit: every set-up step lives here, idempotent and cached.
#   make up      deploy the `local` stack on this machine (self-hosted engine, no cloud account)
#   make test    install what the tests need, then run them all
SHELL := /bin/bash
.DEFAULT_GOAL := help

PULUMI_VERSION ?= v3.274.1
# The YAML language host, for Pulumi YAML programs using the rediskit components (examples/yaml).
PULUMI_YAML_VERSION ?= v1.25.0
BIN            := $(CURDIR)/bin
export PATH    := $(BIN):$(PATH)
export PULUMI_VERSION PULUMI_YAML_VERSION

# Debian packages the project needs: Valkey 8.0 (bookworm-backports) and Redis OSS 7.0 for the
# self-hosted engine's process driver and its tests, debootstrap for the engine images.
APT_PACKAGES := valkey-server valkey-sentinel valkey-tools redis-server redis-sentinel redis-tools debootstrap

# Extra prerequisites of `make test`, appended to by the area makefiles below.
TEST_DEPS :=

.PHONY: help tools apt-packages pulumi-cli pulumi-language-yaml build test lint up down plan provider

help:
	@echo "make up          deploy the local stack (self-hosted engine) on this machine"
	@echo "make down        destroy the local stack"
	@echo "make test        install tools, then run every test"
	@echo "make lint        gofmt and go vet"
	@echo "make plan STACK=prod   offline plan of a stack (no cloud credentials)"
	@echo "make tools       apt packages, the Pulumi CLI and its YAML language host (idempotent)"
	@echo "make k8s-cluster local multi-node Kubernetes cluster (idempotent); k8s-cluster-down removes it"
	@echo "make k8s-up      deploy the k8s stack (operator + cache) to the local cluster; k8s-down destroys it"
	@echo "make aws-validate  the real AWS provider validates and plans every AWS stack, offline (first build 25-115 min on 2 cores, cached)"

tools: apt-packages pulumi-cli pulumi-language-yaml

apt-packages:
	@bash hack/apt-packages.sh $(APT_PACKAGES)

pulumi-cli:
	@bash hack/pulumi-cli.sh $(BIN)

pulumi-language-yaml:
	@bash hack/pulumi-language-yaml.sh $(BIN)

build:
	go build ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	go vet ./...

STACK ?= prod
plan:
	go run ./cmd/rediskit plan -s $(STACK)

# The rediskit provider plugin, found by the CLI through Pulumi.yaml's plugins section.
provider:
	go build -o $(BIN)/pulumi-resource-rediskit ./cmd/pulumi-resource-rediskit

TEST_DEPS += provider

# Area makefiles add their own targets and TEST_DEPS.
-include engine/engine.mk
-include policies/policies.mk
-include test/test.mk
-include bench/bench.mk
-include kubernetes/cluster/k8s.mk
-include infra/awsvalidate/awsvalidate.mk

# One test binary at a time (-p 1): the engine and end-to-end tests time failovers, and other
# packages' tests running beside them on a 2-core machine only add noise. The local Kubernetes
# cluster comes up only for the packages that use it, after the others (kubernetes/cluster/k8s.mk).
test: tools $(TEST_DEPS)
	go vet ./...
	go vet -tags awsacceptance ./test/
	RK_REQUIRE_DEPS=1 go test -count=1 -p 1 -timeout 60m $$(go list ./... | grep -v -e '/kubernetes/' -e '/test$$')
	@bash kubernetes/cluster/cluster.sh up
	RK_REQUIRE_DEPS=1 go test -count=1 -p 1 -timeout 50m $(K8S_TEST_PKGS)

# Deploy the local stack (self-hosted engine) through the Automation API; idempotent.
up: tools provider
	go run ./cmd/rediskit up -s local

down: tools provider
	go run ./cmd/rediskit down -s local
