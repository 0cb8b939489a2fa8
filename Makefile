# The two commands a newcomer needs (README.md): `make deploy` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
GO_FILES = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')

.PHONY: test fmt-check vet go-test scripts-test workflows-lint deploy preview

## test: everything CI runs (gofmt, go vet, go test, runbook scripts, workflows)
test: fmt-check vet go-test scripts-test workflows-lint

fmt-check:
	@unformatted="$$(gofmt -l $(GO_FILES))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi; \
	echo "gofmt: clean"

vet:
	go vet ./...

go-test:
	go test -count=1 ./...

scripts-test:
	@if [ -x runbooks/test/run ]; then runbooks/test/run; else echo "runbooks/test/run missing" >&2; exit 1; fi

workflows-lint:
	actionlint .github/workflows/*.yml

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
