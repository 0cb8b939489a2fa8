package gameday

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer lets the test read the journal while the heartbeat appends.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// journalAck is the test's own view of a journal line, decoded without the
// package's types so the expected values do not share the tool's code.
type journalAck struct {
	Seq      int64     `json:"seq"`
	SentAt   time.Time `json:"sent_at"`
	Endpoint string    `json:"endpoint"`
	OK       bool      `json:"ok"`
}

// TestFailoverAgainstRealPostgres kills an asynchronously replicated primary
// while heartbeats flow, promotes the standby and checks the tool's lost
// writes and RPO against values computed independently from the journal and
// the promoted database.
func TestFailoverAgainstRealPostgres(t *testing.T) {
	lab := newPGLab(t)
	primary := lab.newPrimary()
	proxy := newReplicationProxy(t, primary.Port)
	// NewReplicaVia returns once the primary reports the standby streaming.
	replica := lab.newReplica(primary, proxy.Addr())
	writerDSN, replicaDSN := primary.DSN("postgres"), replica.DSN("postgres")

	const interval = 100 * time.Millisecond
	journal := &syncBuffer{}
	ctx, cancelHeartbeat := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var heartbeatErr error
	stopHeartbeat := sync.OnceFunc(func() { cancelHeartbeat(); heartbeatErr = <-done })
	go func() {
		_, err := RunHeartbeat(ctx, HeartbeatConfig{
			Endpoints: []Endpoint{{Name: "writer", DSN: writerDSN}, {Name: "replica", DSN: replicaDSN}},
			Interval:  interval,
			Timeout:   500 * time.Millisecond,
			Journal:   NewJournalWriter(journal),
			Logf:      t.Logf,
		})
		done <- err
	}()
	t.Cleanup(stopHeartbeat)

	acksOn := func(endpoint string) int {
		n := 0
		for _, a := range decodeAcks(t, journal.Bytes()) {
			if a.OK && a.Endpoint == endpoint {
				n++
			}
		}
		return n
	}
	waitFor(t, "heartbeats on the primary", 10*time.Second, func() bool { return acksOn("writer") >= 10 })

	// Replication falls behind for a few heartbeats, then the primary dies.
	proxy.Hold()
	heldFrom := acksOn("writer")
	waitFor(t, "heartbeats acknowledged while replication is held", 5*time.Second, func() bool { return acksOn("writer") >= heldFrom+5 })
	require.NoError(t, primary.StopImmediate(context.Background()))
	proxy.Close()
	time.Sleep(3 * interval) // the heartbeat must keep going through the outage

	require.NoError(t, replica.Promote(context.Background()))
	waitFor(t, "heartbeats on the promoted replica", 10*time.Second, func() bool { return acksOn("replica") >= 5 })
	stopHeartbeat()
	require.NoError(t, heartbeatErr)

	// Independent truth: the journal's acknowledgements on the old writer
	// against the rows the promoted database actually has.
	promotedConn := connect(t, replicaDSN)
	rows, err := promotedConn.Query(context.Background(), `SELECT seq, written_at FROM dr_heartbeat`)
	require.NoError(t, err)
	presentAt := map[int64]time.Time{}
	for rows.Next() {
		var seq int64
		var sentAt time.Time
		require.NoError(t, rows.Scan(&seq, &sentAt))
		presentAt[seq] = sentAt
	}
	require.NoError(t, rows.Err())

	var wantLost int
	var newestAcked, newestPresent journalAck
	for _, a := range decodeAcks(t, journal.Bytes()) {
		if !a.OK || a.Endpoint != "writer" {
			continue
		}
		if a.Seq > newestAcked.Seq {
			newestAcked = a
		}
		if _, ok := presentAt[a.Seq]; !ok {
			wantLost++
		} else if a.Seq > newestPresent.Seq {
			newestPresent = a
		}
	}
	trueRPO := newestAcked.SentAt.Sub(newestPresent.SentAt)
	require.Positive(t, wantLost, "holding replication should have lost acknowledged writes")

	// The tool's answer, through the same path as `gameday report`.
	heartbeats, err := DecodeJournal[HeartbeatRecord](bytes.NewReader(journal.Bytes()))
	require.NoError(t, err)
	ws := DetectWriterSwitch(heartbeats)
	require.Equal(t, "writer", ws.OldWriter)
	require.Equal(t, "replica", ws.NewWriter)
	promoted, err := LoadPromotedHeartbeats(context.Background(), replicaDSN, ws.OldWriter, MinSeq(heartbeats), 5*time.Second)
	require.NoError(t, err)
	rpo := ComputeRPO(heartbeats, promoted, true, 10*time.Second)

	t.Logf("lost writes: tool %d, truth %d; RPO: tool %v, truth %v", len(rpo.Lost), wantLost, rpo.RPO, trueRPO)
	require.True(t, rpo.Measured, rpo.Reason)
	require.Len(t, rpo.Lost, wantLost)
	require.InDelta(t, trueRPO.Seconds(), rpo.RPO.Seconds(), interval.Seconds(), "RPO must be within one heartbeat interval of the truth")
	require.True(t, ws.FirstNewAck.AckedAt.After(newestAcked.SentAt), "writes resumed on the promoted replica after the primary died")
}

func decodeAcks(t testing.TB, journal []byte) []journalAck {
	t.Helper()
	var acks []journalAck
	for _, line := range bytes.Split(journal, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var a journalAck
		require.NoError(t, json.Unmarshal(line, &a))
		acks = append(acks, a)
	}
	return acks
}
