# Two commands on a fresh Debian 12 machine: `make serve` and `make test`.
# dicom3tools (dciodvfy) and dcmtk (dsrdump) validate the DICOM SRs the tests write; postgresql provides the
# server binaries for the private cluster the PostgreSQL queue tests run against.
APT_PACKAGES := libpng-dev libjpeg-dev libopenblas-dev libsqlite3-dev zlib1g-dev libopenjp2-7-dev pkg-config dicom3tools dcmtk \
	postgresql
SWIFT ?= swift

.PHONY: test fuzz-onnx build release deps clean bench-decode bench-load bench-latency bench-e2e serve

# Install the system packages that are missing (as root, or through sudo when available).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Every suite, the PostgreSQL ones against a private cluster (Scripts/pg-test-cluster.sh) on a free
# 127.0.0.1 port in a temporary directory; the cluster is stopped and removed whatever the outcome.
test: deps
	$(SWIFT) build --build-tests
	@trap 'Scripts/pg-test-cluster.sh stop' EXIT; trap 'exit 130' INT TERM; \
	Scripts/pg-test-cluster.sh start >/dev/null || exit 1; \
	MEDINFER_TEST_POSTGRES_URL="$$(Scripts/pg-test-cluster.sh url)" $(SWIFT) test --skip-build
	Tests/Fuzz/ci.sh

# The ONNX fuzz target alone (Tests/Fuzz/README.md): `make fuzz-onnx FUZZ_RUNS=-1 FUZZ_SECONDS=1800` for a long run.
fuzz-onnx:
	Tests/Fuzz/ci.sh $(or $(FUZZ_RUNS),1000000) $(or $(FUZZ_SECONDS),150)

# The HTTP server on 127.0.0.1:8080 with the data directory ./.medinfer and the repository's default model.
# The first start prints the admin API key once.
serve: release
	.build/release/medinfer serve --host 127.0.0.1 --port 8080 --data-dir .medinfer --models-dir Models

bench-decode: release
	Benchmarks/decode/run.sh

# `medinfer serve` under load on loopback beside QueueBenchmark (BENCHMARKS.md, "HTTP server under load").
# Latency of a job poll and of readiness while 16 clients submit scans (BENCHMARKS.md, "Latency under load").
bench-latency: release
	Benchmarks/latency/run.sh

bench-load: release
	Benchmarks/load/run.sh

# The default model from DICOM file to JSON report beside pydicom + numpy + ONNX Runtime (BENCHMARKS.md, "End to end").
bench-e2e: release
	Benchmarks/e2e/run.sh

clean:
	rm -rf .build
