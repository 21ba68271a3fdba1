# Benchmarks (issue 6; not part of `make test`): included by the top Makefile.
#   make bench                       the full run (about 2.5 hours on 2 cores, 1.5-2 of them failover): bench/results.json,
#                                    docs/benchmarks.md and bench/figures/*.svg
#   make bench BENCH_ARGS=-quick     a smoke run of a few minutes
#   make bench BENCH_ARGS='-only throughput'
#                                    rerun some sections; the others' results are kept (-merge)
#   make bench-report                regenerate docs/benchmarks.md from bench/results.json
BENCH_ARGS ?=

.PHONY: bench bench-report

bench: tools provider policy-pack
	go run ./cmd/rediskit-bench $(BENCH_ARGS)

bench-report:
	go run ./cmd/rediskit-bench report
