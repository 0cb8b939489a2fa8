// Package heartbeat is the one heartbeat implementation of this project, in
// the manner of pt-heartbeat: a writer inserts a numbered, timestamped row
// into a table of its own every interval; whoever reads that table on a
// replica knows how far behind the replica is (now minus the newest row's
// time), and after a failover which acknowledged rows the promoted database
// lacks. The game-day tool (package gameday) and the DR agent (package agent)
// both write and read heartbeats through it.
//
// Clock assumption: written_at is the writer host's clock and "now" is the
// reader's. On AWS both are EC2 instances (EKS nodes) synchronised by the
// Amazon Time Sync Service, which AWS describes as giving about one
// millisecond of clock accuracy (microseconds on instances with its local
// PTP hardware clock), so a delay computed across two regions carries about
// a millisecond of clock error on top of its one-interval resolution:
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/set-time.html and
// https://aws.amazon.com/blogs/compute/its-about-time-microsecond-accurate-clocks-on-amazon-ec2-instances/
// In the lab both ends share one clock.
package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// MinInterval is the fastest heartbeat accepted: below it the write loop's
// own jitter (see runbooks/gameday/measurements.md) stops being small
// compared with the interval, so the resolution would not improve.
const MinInterval = 100 * time.Millisecond

// SQLSTATEs the heartbeat reacts to.
const (
	SQLStateReadOnly       = "25006" // read_only_sql_transaction: a hot standby refusing a write
	SQLStateUndefinedTable = "42P01"
	SQLStateUndefinedCol   = "42703"
)

// DB is what the heartbeat needs of a connection (*pgx.Conn has it).
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Table is a heartbeat table:
//
//	seq bigint PRIMARY KEY, written_at timestamptz NOT NULL, writer text NOT NULL
//
// seq increases across writers (a new writer continues after the newest row
// it finds), written_at is the writer's clock when it sent the row, writer
// names who wrote it (an endpoint name, a cluster name).
type Table struct {
	Schema string // "" or "public" for the default schema
	Name   string
}

// AgentTable is the DR agent's table (cmd/dr-agent/README.md).
var AgentTable = Table{Schema: "dr_agent", Name: "heartbeat"}

// String is the table's quoted, schema-qualified name, safe to splice into SQL.
func (t Table) String() string {
	if t.Schema == "" {
		return pgx.Identifier{t.Name}.Sanitize()
	}
	return pgx.Identifier{t.Schema, t.Name}.Sanitize()
}

// Beat is one heartbeat row.
type Beat struct {
	Seq       int64
	WrittenAt time.Time
	Writer    string
}

// Create makes the schema (unless it is the default one, which may not be
// ours to create in) and the table, if missing.
func (t Table) Create(ctx context.Context, db DB) error {
	if t.Schema != "" && t.Schema != "public" {
		if _, err := db.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{t.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema %s: %w", t.Schema, err)
		}
	}
	_, err := db.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+t.String()+` (
	seq        bigint PRIMARY KEY,
	written_at timestamptz NOT NULL,
	writer     text NOT NULL
)`)
	if err != nil {
		return fmt.Errorf("create table %s: %w", t, err)
	}
	return nil
}

// Insert writes one heartbeat.
func (t Table) Insert(ctx context.Context, db DB, b Beat) error {
	_, err := db.Exec(ctx, "INSERT INTO "+t.String()+" (seq, written_at, writer) VALUES ($1, $2, $3)", b.Seq, b.WrittenAt, b.Writer)
	if err != nil {
		return fmt.Errorf("insert heartbeat %d into %s: %w", b.Seq, t, err)
	}
	return nil
}

// MaxSeq is the highest seq stored, 0 for an empty table.
func (t Table) MaxSeq(ctx context.Context, db DB) (int64, error) {
	var seq int64
	if err := db.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM "+t.String()).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read max(seq) from %s: %w", t, err)
	}
	return seq, nil
}

// Newest is the row with the highest seq, of one writer or (writer "") of
// any; found is false when there is none. It reads the primary key index
// backwards, one row, whatever the table's size.
func (t Table) Newest(ctx context.Context, db DB, writer string) (b Beat, found bool, err error) {
	q := "SELECT seq, written_at, writer FROM " + t.String()
	args := []any{}
	if writer != "" {
		q += " WHERE writer = $1"
		args = append(args, writer)
	}
	q += " ORDER BY seq DESC LIMIT 1"
	err = db.QueryRow(ctx, q, args...).Scan(&b.Seq, &b.WrittenAt, &b.Writer)
	if errors.Is(err, pgx.ErrNoRows) {
		return Beat{}, false, nil
	}
	if err != nil {
		return Beat{}, false, fmt.Errorf("read newest heartbeat from %s: %w", t, err)
	}
	b.WrittenAt = b.WrittenAt.UTC()
	return b, true, nil
}

// FirstAfter is the lowest-seq row of writer with seq > after.
func (t Table) FirstAfter(ctx context.Context, db DB, writer string, after int64) (b Beat, found bool, err error) {
	err = db.QueryRow(ctx, "SELECT seq, written_at, writer FROM "+t.String()+
		" WHERE writer = $1 AND seq > $2 ORDER BY seq LIMIT 1", writer, after).Scan(&b.Seq, &b.WrittenAt, &b.Writer)
	if errors.Is(err, pgx.ErrNoRows) {
		return Beat{}, false, nil
	}
	if err != nil {
		return Beat{}, false, fmt.Errorf("read first heartbeat of %s after seq %d from %s: %w", writer, after, t, err)
	}
	b.WrittenAt = b.WrittenAt.UTC()
	return b, true, nil
}

// Since returns writer's rows with seq >= minSeq, by seq.
func (t Table) Since(ctx context.Context, db DB, writer string, minSeq int64) ([]Beat, error) {
	rows, err := db.Query(ctx, "SELECT seq, written_at, writer FROM "+t.String()+
		" WHERE writer = $1 AND seq >= $2 ORDER BY seq", writer, minSeq)
	if err != nil {
		return nil, fmt.Errorf("query heartbeats of %s from %s: %w", writer, t, err)
	}
	defer rows.Close()
	var out []Beat
	for rows.Next() {
		var b Beat
		if err := rows.Scan(&b.Seq, &b.WrittenAt, &b.Writer); err != nil {
			return nil, fmt.Errorf("scan heartbeat row: %w", err)
		}
		b.WrittenAt = b.WrittenAt.UTC()
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read heartbeat rows from %s: %w", t, err)
	}
	return out, nil
}

// Prune deletes the rows written before cutoff and returns how many.
func (t Table) Prune(ctx context.Context, db DB, cutoff time.Time) (int64, error) {
	tag, err := db.Exec(ctx, "DELETE FROM "+t.String()+" WHERE written_at < $1", cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", t, err)
	}
	return tag.RowsAffected(), nil
}

// InRecovery reports whether the database is a hot standby (a replica):
// the role comes from the database itself, so a promotion or a rebuild
// changes it without anyone telling the reader.
// https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-RECOVERY-INFO-TABLE
func InRecovery(ctx context.Context, db DB) (bool, error) {
	var in bool
	if err := db.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&in); err != nil {
		return false, fmt.Errorf("pg_is_in_recovery(): %w", err)
	}
	return in, nil
}

// Writer numbers and writes heartbeats into Table. Not safe for concurrent use.
type Writer struct {
	Table  Table
	next   int64
	seeded bool
}

// Seed continues after the highest seq stored in db, creating the table if
// it can (on a hot standby it cannot, and reads what replicated), so a
// restarted or newly promoted writer never collides with an earlier one.
func (w *Writer) Seed(ctx context.Context, db DB) error {
	if err := w.Table.Create(ctx, db); err != nil && SQLState(err) != SQLStateReadOnly {
		return err
	}
	maxSeq, err := w.Table.MaxSeq(ctx, db)
	if err != nil {
		return err
	}
	w.next, w.seeded = maxSeq+1, true
	return nil
}

// Seeded reports whether Seed succeeded since the last Reset.
func (w *Writer) Seeded() bool { return w.seeded }

// Reset forgets the sequence, so the next writer session seeds again from
// what the database holds by then (another writer may have gone on).
func (w *Writer) Reset() { w.seeded = false }

// Write takes the next seq and inserts it with the current time, as writer.
// The returned Beat carries the seq and time even when the insert fails,
// for whoever journals attempts. Every attempt consumes a seq: an insert
// that timed out may still have committed and replicated, and reusing its
// seq later would then collide. A missing table is created for the next
// attempt.
func (w *Writer) Write(ctx context.Context, db DB, writer string) (Beat, error) {
	if !w.seeded {
		return Beat{}, errors.New("heartbeat: sequence not seeded (no database read yet)")
	}
	b := Beat{Seq: w.next, WrittenAt: Now(), Writer: writer}
	w.next++
	err := w.Table.Insert(ctx, db, b)
	if err != nil && SQLState(err) == SQLStateUndefinedTable {
		if cerr := w.Table.Create(ctx, db); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	return b, err
}

// Now is the current UTC time at PostgreSQL's timestamptz precision, so a
// time read back from the database compares equal to the one sent.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// SQLState is the PostgreSQL error code in err, "" if there is none.
func SQLState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// Describe renders a database error for a log or a journal, naming the
// cases an operator meets during a failover.
func Describe(err error) string {
	switch SQLState(err) {
	case SQLStateReadOnly:
		return "read-only: endpoint is a hot standby that has not been promoted (SQLSTATE 25006)"
	case SQLStateUndefinedCol:
		return err.Error() + " (a heartbeat table of an older layout? drop it; it is recreated)"
	}
	return err.Error()
}
