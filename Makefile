# Two commands on a fresh Debian 12 machine: `make test` and (later) `make serve`.
# dicom3tools (dciodvfy) and dcmtk (dsrdump) validate the DICOM SRs the tests write.
APT_PACKAGES := libpng-dev libjpeg-dev libopenblas-dev libsqlite3-dev zlib1g-dev libopenjp2-7-dev pkg-config dicom3tools dcmtk
SWIFT ?= swift

.PHONY: test build release deps clean bench-decode

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

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench-decode: release
	Benchmarks/decode/run.sh

clean:
	rm -rf .build
