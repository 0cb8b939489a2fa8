# The two commands a newcomer needs (README.md): `make deploy` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
GO_FILES = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')

.PHONY: test fmt-check vet go-test scripts-test workflows-lint deploy preview lab lab-sequential lab-faults lab-bin docs agent-image

# The lab's real Pulumi CLI, built from the Go module proxy in a module of
# its own (tools/pulumi) so the program's go.mod stays lean. ~5-7 min cold.
LAB_BIN := .lab/bin
PULUMI_CLI := $(LAB_BIN)/pulumi

## test: everything CI runs (gofmt, go vet, go test, runbook scripts, workflows)
test: fmt-check vet go-test scripts-test workflows-lint

fmt-check:
	@unformatted="$$(gofmt -l $(GO_FILES))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi; \
	echo "gofmt: clean"

# Two modules: the program (.) and the operator/lab tools (cmd/, a module
# of its own so the program's go.mod stays lean).
vet:
	go vet ./...
	cd cmd && go vet ./...

# With the lab's CLI built (.ci/run builds it first), the lab engine's
# tests also run the real program through the real Pulumi engine (~2 min).
go-test:
	go test -count=1 ./...
	cd cmd && $(if $(wildcard $(PULUMI_CLI)),DRLAB_PULUMI=$(abspath $(PULUMI_CLI))) go test -count=1 ./...

scripts-test:
	@if [ -x runbooks/test/run ]; then runbooks/test/run; else echo "runbooks/test/run missing" >&2; exit 1; fi

workflows-lint:
	actionlint .github/workflows/*.yml

## docs: regenerate the README's config reference and outputs table
docs:
	go run ./internal/docgen/cmd README.md

## agent-image: build the DR agent's image and push it to ECR taskflow-dr-agent in REGION
REGION ?= eu-west-1
agent-image:
	cmd/dr-agent/image.sh --push $(REGION) $(if $(TAG),--tag $(TAG))

## deploy: both stacks, primary first (the standby's replica follows its writer)
deploy:
	pulumi stack select --create primary
	pulumi up --stack primary
	pulumi stack select --create standby
	pulumi up --stack standby

## preview: what `pulumi up` would change, both stacks
preview:
	pulumi preview --stack primary
	pulumi preview --stack standby

## lab: rehearse failover and failback locally: the real program through the
## real Pulumi engine, the real AWS CLI, real PostgreSQL replication, a DR
## agent per region; rewrites runbooks/gameday/lab-rehearsal.md and .png
lab: lab-bin
	$(LAB_BIN)/drlab --bin $(LAB_BIN) --record runbooks/gameday/lab-rehearsal.md

## lab-sequential: the same scenario with the failover's waits one after
## another (the baseline the parallel run is compared with)
lab-sequential: lab-bin
	$(LAB_BIN)/drlab --bin $(LAB_BIN) --sequential --record runbooks/gameday/lab-rehearsal-sequential.md

## lab-faults: every dr command killed after each of its steps and resumed,
## and commands in the wrong phase; rewrites runbooks/gameday/lab-faults.md
lab-faults: lab-bin
	$(LAB_BIN)/drlab --bin $(LAB_BIN) --faults --scale 30 --record runbooks/gameday/lab-faults.md

## lab-bin: what the lab runs: the CLI, the plugins (with the language host
## beside the CLI), the agent, drlab and the prebuilt program
lab-bin: $(PULUMI_CLI)
	cd cmd && go build -o ../$(LAB_BIN)/drlab ./drlab
	cd cmd && go build -o ../$(LAB_BIN)/drlab-plugins ./drlab-plugins
	cd cmd && go build -o ../$(LAB_BIN)/dr-agent ./dr-agent
	go build -o $(LAB_BIN)/taskflow-dr .
	$(LAB_BIN)/drlab-plugins install-host $(LAB_BIN)

# The CLI stamped with its version, as Pulumi's release build does
# (pulumi/pulumi Makefile, -X .../common/version.Version): unstamped, the
# engine skips its version checks.
PULUMI_VERSION := v3.274.1
$(PULUMI_CLI): tools/pulumi/go.mod tools/pulumi/go.sum
	mkdir -p $(LAB_BIN)
	cd tools/pulumi && go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_VERSION)" \
	  -o ../../$(PULUMI_CLI) github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
