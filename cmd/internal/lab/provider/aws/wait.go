package aws

import (
	"fmt"
	"os"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// EnvPollInterval sets how often the plugins poll the lab cloud while
// waiting for a state (terraform-provider-aws polls AWS every 10 s after a
// 1 min delay; the lab's clock is scaled, so the lab polls faster).
const EnvPollInterval = "DRLAB_POLL_INTERVAL"

func pollInterval() time.Duration {
	if v := os.Getenv(EnvPollInterval); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return 200 * time.Millisecond
}

// waitUntil polls check until it reports done, fails, or timeout passes.
// what names the wait in errors ("RDS DB Instance x to be available").
func waitUntil(c *provider.Ctx, what string, timeout time.Duration, check func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	tick := pollInterval()
	for {
		done, err := check()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: timeout after %s", what, timeout)
		}
		select {
		case <-c.Done():
			return fmt.Errorf("waiting for %s: %w", what, c.Err())
		case <-time.After(tick):
		}
	}
}
