# The two commands a newcomer needs (README.md): `make deploy` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
GO_FILES = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')

.PHONY: test fmt-check vet go-test scripts-test workflows-lint deploy preview lab docs agent-image

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

go-test:
	go test -count=1 ./...
	cd cmd && go test -count=1 ./...

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

## lab: rehearse failover and failback locally (PostgreSQL, Route 53 simulator,
## the real Pulumi CLI, runbooks/bin/dr unmodified); rewrites
## runbooks/gameday/lab-rehearsal.md and .png
lab: $(PULUMI_CLI)
	cd cmd && go build -o ../$(LAB_BIN)/drlab ./drlab
	$(LAB_BIN)/drlab --pulumi $(PULUMI_CLI) --record runbooks/gameday/lab-rehearsal.md

$(PULUMI_CLI): tools/pulumi/go.mod tools/pulumi/go.sum
	mkdir -p $(LAB_BIN)
	cd tools/pulumi && go build -o ../../$(PULUMI_CLI) github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
