package pg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReplayState is what a standby reports about its replication.
type ReplayState struct {
	// InRecovery is false once the cluster is a writer.
	InRecovery bool
	// ReplayAge is now minus the commit time of the last transaction the
	// standby replayed (pg_last_xact_replay_timestamp()), the definition
	// RDS uses for ReplicaLag on PostgreSQL. An idle writer makes it grow.
	// Known is false before the standby has replayed any transaction.
	ReplayAge time.Duration
	Known     bool
	// Streaming is true while a walreceiver is streaming from the source.
	Streaming bool
}

// Replay reads the standby's replication state in one round trip.
func (c *Cluster) Replay(ctx context.Context) (ReplayState, error) {
	var (
		st     ReplayState
		age    *float64
		status *string
	)
	err := c.withConn(ctx, "postgres", func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
			extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
			(SELECT status FROM pg_stat_wal_receiver LIMIT 1)`).Scan(&st.InRecovery, &age, &status)
	})
	if err != nil {
		return ReplayState{}, fmt.Errorf("replay state of %s: %w", c.Name, err)
	}
	if age != nil && st.InRecovery {
		st.Known = true
		st.ReplayAge = time.Duration(max(*age, 0) * float64(time.Second))
	}
	st.Streaming = status != nil && *status == "streaming"
	return st, nil
}
