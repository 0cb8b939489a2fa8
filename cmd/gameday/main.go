// Command gameday measures the real RTO and RPO of a disaster-recovery
// drill. All logic lives in package gameday; see runbooks/gameday/README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/taskflow/taskflow-dr/cmd/internal/gameday"
)

func main() {
	// SIGINT/SIGTERM end the heartbeat and probe loops cleanly so the
	// journals are complete; `kubectl delete pod` sends SIGTERM.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := gameday.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
