package heartbeat

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Connect dials dsn with a bounded connect timeout and an application_name
// that makes the session easy to spot in pg_stat_activity. Errors never
// carry the password: a DSN that does not parse is named redacted, and
// pgx's connect errors name host, user and database only.
func Connect(ctx context.Context, dsn string, timeout time.Duration, appName string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx parse errors can echo the DSN; never let a password through.
		return nil, fmt.Errorf("parse DSN %s: invalid connection string", RedactDSN(dsn))
	}
	return ConnectConfig(ctx, cfg, timeout, appName)
}

// ConnectConfig is Connect for a parsed configuration.
func ConnectConfig(ctx context.Context, cfg *pgx.ConnConfig, timeout time.Duration, appName string) (*pgx.Conn, error) {
	cfg.ConnectTimeout = timeout
	cfg.RuntimeParams["application_name"] = appName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}
