# SandboxRt: the two commands are `make demo` and `make test` (both as root on Debian 12).
# Everything else here is a step they run; each step can also be run on its own.

SHELL := /bin/bash
.DEFAULT_GOAL := help
ROOT := $(abspath .)
OUT := $(ROOT)/out
DOTNET ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

AGENT := $(OUT)/agent/sandboxrt-agent
CLI := $(OUT)/bin/sandboxrt
GUEST_DIR ?= /usr/share/sandboxrt

# Debian packages the build, the guest image and the tests need.
APT_PACKAGES := qemu-system-x86 qemu-utils busybox-static cpio xz-utils zstd kmod gcc libc6-dev libcap2-bin \
                iproute2 procps util-linux jq runc containerd docker.io podman conmon skopeo umoci \
                containernetworking-plugins iptables \
                linux-source-6.1 make flex bison bc libelf-dev libssl-dev prometheus

.PHONY: help deps build install agent cli shim jailer guest-image bundle bench-bundle demo test test-unit test-host test-vm test-e2e test-hostile test-fault test-templates-off soak bench clean

help:
	@echo "make demo        install what is needed, build, boot a sandbox VM and print what its agent reports"
	@echo "make test        install what is needed, build, and run every test (unit, host, vm tiers; then again with VM templates off)"
	@echo "make bench       benchmarks against runc and the bare-VM floor (docs/benchmarks.md); BENCH_QUICK=1, BENCH_RUNS=N, BENCH_ONLY=boot,run,clients,exec,clones,io,network,density,pods, BENCH_DENSITY=1,5,10,20,50,100, BENCH_PODS=1,20,100"
	@echo "make test-fault  the fault matrix (kill -9 of each component in each phase, CLI and shim; docs/reliability.md)"
	@echo "make install     the CLI, the shim and the jailer under PREFIX=/usr/local, configurations beside them, the guest image"
	@echo "make deps | build | guest-image | test-unit | test-host | test-vm | clean"

# --- set-up ---------------------------------------------------------------------------------------

deps:
	@command -v $(DOTNET) >/dev/null || { echo "the .NET SDK (dotnet) is required: see README.md"; exit 1; }
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install $$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@command -v node >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	@for d in tests/grpc-js tests/cri-client; do \
	  (cd $$d && { [ -d node_modules/@grpc/grpc-js ] || npm ci --no-audit --no-fund --loglevel=error; }) || exit 1; \
	done

# --- build ----------------------------------------------------------------------------------------

build: agent cli shim jailer

agent:
	$(DOTNET) publish src/agent/SandboxRt.Agent -c Release -r linux-x64 -o $(OUT)/agent -v quiet -nologo

# The CLI and the shim are NativeAOT (src/shim/NativeAot.props): -r names the target, which the csproj
# cannot (the test projects reference them as ordinary assemblies). PIE=true builds them position-independent
# and dehydrated (an image randomised at each start, about 15 ms more CPU per process: NativeAot.props).
HOST_AOT_FLAGS = $(if $(PIE),-p:PositionIndependentExecutable=$(PIE))
cli:
	$(DOTNET) publish src/shim/sandboxrt -c Release -r linux-x64 -o $(OUT)/bin -v quiet -nologo $(HOST_AOT_FLAGS)

# containerd-shim-sandboxrt-v2 goes beside the CLI (containerd finds it on its PATH as io.containerd.sandboxrt.v2)
shim:
	$(DOTNET) publish src/shim/containerd-shim-sandboxrt-v2 -c Release -r linux-x64 -o $(OUT)/bin -v quiet -nologo $(HOST_AOT_FLAGS)

# sandboxrt-jailer (NativeAOT) goes beside the CLI and the shim: they start QEMU and virtiofsd through it
jailer:
	$(DOTNET) publish src/shim/sandboxrt-jailer -c Release -o $(OUT)/bin -v quiet -nologo

# The guest kernel is built from linux-source-6.1 the first time (about 10 minutes on 2 cores, cached by
# the hash of its config and source version); SANDBOXRT_KERNEL=debian uses Debian's packaged kernel.
guest-image: agent
	SANDBOXRT_GUEST_DIR=$(GUEST_DIR) src/guest-image/build.sh --agent $(AGENT)

# Installs the three host binaries under $(PREFIX)/bin with the shipped configurations beside them
# (where sandboxrt looks for its default: hypervisor-configs/configuration-qemu.toml next to the binary),
# and the guest image in $(GUEST_DIR). A configuration of your own goes to /etc/sandboxrt/configuration.toml
# or, from Kata, /etc/kata-containers/configuration.toml (README, "Configuration").
PREFIX ?= /usr/local
install: build guest-image
	install -d $(DESTDIR)$(PREFIX)/bin/hypervisor-configs
	install -m 0755 $(OUT)/bin/sandboxrt $(OUT)/bin/containerd-shim-sandboxrt-v2 $(OUT)/bin/sandboxrt-jailer $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 hypervisor-configs/configuration-qemu.toml hypervisor-configs/configuration-clh.toml hypervisor-configs/qemu.json $(DESTDIR)$(PREFIX)/bin/hypervisor-configs/

# --- the two commands -----------------------------------------------------------------------------

DEMO_BUNDLE := $(OUT)/bundles/demo

bundle: cli
	rm -rf $(DEMO_BUNDLE)
	scripts/make-busybox-bundle.sh $(DEMO_BUNDLE) -- sh -c 'echo hello from a VM; echo "kernel inside the container: $$(uname -r)"; echo "kernel on the host:          $(shell uname -r)"'

demo: deps build guest-image bundle
	@echo "== sandboxrt check --boot: host requirements, then a real sandbox VM and its agent's report =="
	$(CLI) check --boot
	@echo
	@echo "== sandboxrt run: a busybox container inside its own VM =="
	$(CLI) run --bundle $(DEMO_BUNDLE) --timings demo-$$$$

# The failed tests are printed again at the end (.ci/failures): both projects' output interleaves.
# The soak tier (Tier=soak) runs in make soak. The fault matrix (Tier=fault, 3-13 min under TCG on 2 cores, two cells still intermittent) has its own
# target: make test-fault.
# Then the integration tiers again with VM templates off (SANDBOXRT_TEST_VM_TEMPLATE=false: every sandbox
# boots its kernel, through the CLI, Docker, ctr, podman, the shim and the CRI plugin alike): templates are
# on by default and both ways must pass (issue 17). The fault tier has its cold-boot cells already.
test: deps build guest-image
	mkdir -p $(OUT); set -o pipefail; \
	$(DOTNET) test SandboxRt.sln -nologo --filter "Tier!=soak" --logger "console;verbosity=normal" --results-directory $(OUT)/test-results 2>&1 | tee $(OUT)/test.log; \
	rc=$$?; \
	SANDBOXRT_TEST_VM_TEMPLATE=false $(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --no-build --filter "$(TEMPLATES_OFF_TIERS)" --logger "console;verbosity=normal" 2>&1 | tee $(OUT)/test-templates-off.log; \
	rc_off=$$?; .ci/failures $(OUT)/test.log; echo "(templates off)"; .ci/failures $(OUT)/test-templates-off.log; \
	[ $$rc -eq 0 ] && [ $$rc_off -eq 0 ]

TEMPLATES_OFF_TIERS = Tier=host|Tier=vm|Tier=e2e|Tier=hostile

# The integration tiers with VM templates off only (the second half of make test).
test-templates-off: build guest-image
	SANDBOXRT_TEST_VM_TEMPLATE=false $(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --filter "$(TEMPLATES_OFF_TIERS)"

test-e2e: build guest-image
	$(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --filter "Tier=e2e"

test-unit:
	$(DOTNET) test tests/SandboxRt.UnitTests -nologo
	$(DOTNET) test tests/SandboxRt.Agent.UnitTests -nologo

test-host: build
	$(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --filter "Tier=host"

test-vm: build guest-image
	$(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --filter "Tier=vm"

# a privileged container attacks the host through the share (CLI and containerd's shim)
test-hostile: build guest-image
	$(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --filter "Tier=hostile"

# kill -9 of QEMU, virtiofsd, the relay, the client and the shim, and a guest kernel panic, in each phase,
# through the CLI and the shim; each cell ends with a leak check (docs/reliability.md). Part of make test too.
test-fault: build guest-image
	$(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --filter "Tier=fault" --logger "console;verbosity=normal"

# load (not part of make test): SOAK_CYCLES CLI create/start/delete cycles and SOAK_CTR_CYCLES `ctr run --rm`,
# 4 at a time, sampled every 50 (docs/reliability.md)
# plus the soak tier of the test project (Tier=soak): 1 GiB of stdout byte-exact through the CLI's relay
# and the shim, and a slow reader against a bounded relay (MiB/s and RSS in the test output)
soak: build guest-image
	SANDBOXRT_GUEST_DIR=$(GUEST_DIR) $(DOTNET) test tests/SandboxRt.IntegrationTests -nologo --filter "Tier=soak" --logger "console;verbosity=detailed"
	SANDBOXRT_GUEST_DIR=$(GUEST_DIR) scripts/soak.sh

# --- benchmarks (not part of make test) -----------------------------------------------------------

bench-bundle: cli
	rm -rf $(OUT)/bundles/bench-true
	scripts/make-busybox-bundle.sh $(OUT)/bundles/bench-true -- /bin/true >/dev/null
	rm -rf $(OUT)/bundles/bench-net
	scripts/make-busybox-bundle.sh $(OUT)/bundles/bench-net -- sh -c 'exec >/dev/null 2>&1; nc -ll -p 5002 -e cat & exec nc -ll -p 5001 -e sh -c "wc -c"' >/dev/null
	rm -rf $(OUT)/bundles/bench-entropy
	scripts/make-busybox-bundle.sh $(OUT)/bundles/bench-entropy -- sh -c 'head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n"; echo; cat /proc/sys/kernel/random/boot_id; adjtimex | grep time.tv_' >/dev/null
	rm -rf $(OUT)/bundles/bench-idle
	scripts/make-busybox-bundle.sh $(OUT)/bundles/bench-idle -- sh -c 'exec >/dev/null 2>&1; exec sleep 2147483647' >/dev/null

bench: deps build guest-image bench-bundle
	$(DOTNET) run --project bench/SandboxRt.Bench -c Release -- $${BENCH_RUNS:+--runs $$BENCH_RUNS} --out bench/results

clean:
	rm -rf $(OUT)
