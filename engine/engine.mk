# The self-hosted engine's targets (included by the top Makefile).
#   make image         build the engine image (and, once, its debootstrap base)
#   make engine-test   run the engine's tests only
ENGINE_BASE_IMAGE ?= rediskit/redis-base:bookworm
ENGINE_IMAGE      ?= rediskit/engine:dev
export ENGINE_IMAGE

.PHONY: image engine-test

image: apt-packages
	@bash engine/image/build.sh $(ENGINE_BASE_IMAGE) $(ENGINE_IMAGE)

engine-test: apt-packages image
	RK_REQUIRE_DEPS=1 go test -count=1 -p 1 -timeout 20m ./engine/... ./paramgroup/...

# The container test needs the image.
TEST_DEPS += image
