// Command dr-agent measures replication delay and keeps the heartbeat that
// proves RPO, one per region (package agent; cmd/dr-agent/README.md).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/taskflow/taskflow-dr/cmd/internal/agent"
)

func main() {
	// SIGTERM is how Kubernetes stops the pod.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agent.Main(ctx, os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}
