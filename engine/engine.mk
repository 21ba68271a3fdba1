# The self-hosted engine's targets (included by the top Makefile).
#   make image                        build one engine image per version in engine/image/versions
#   make image ENGINE_VERSIONS=valkey-8.0   only those named
#   make engine-test                  run the engine's tests only
# Images are tagged rediskit/engine:<engine>-<major.minor>; their debootstrap bases are built
# once and kept as rediskit/engine-base:<engine>-<major.minor>.
ENGINE_VERSIONS ?=

.PHONY: image engine-test

image: apt-packages
	@bash engine/image/build.sh $(ENGINE_VERSIONS)

engine-test: apt-packages image
	RK_REQUIRE_DEPS=1 go test -count=1 -p 1 -timeout 20m ./engine/... ./paramgroup/...

# The container tests need the images.
TEST_DEPS += image
