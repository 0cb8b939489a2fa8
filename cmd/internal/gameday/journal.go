package gameday

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// HeartbeatRecord is one heartbeat attempt against one endpoint. Failed
// attempts are journalled too: they show when the outage started to bite and
// how long writes were impossible.
type HeartbeatRecord struct {
	Seq      int64     `json:"seq"`
	SentAt   time.Time `json:"sent_at"`
	Endpoint string    `json:"endpoint"`
	OK       bool      `json:"ok"`
	AckedAt  time.Time `json:"acked_at,omitzero"`
	Error    string    `json:"error,omitempty"`
}

// ProbeRecord is one health-check request.
type ProbeRecord struct {
	At        time.Time `json:"at"`
	Status    int       `json:"status,omitempty"`
	LatencyMS float64   `json:"latency_ms"`
	Region    string    `json:"region,omitempty"`
	Addr      string    `json:"addr,omitempty"` // IP the host resolved to for this request
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"`
}

// Latency returns the probe latency as a duration.
func (p ProbeRecord) Latency() time.Duration {
	return time.Duration(p.LatencyMS * float64(time.Millisecond))
}

// JournalWriter appends JSON lines; it is safe for concurrent use because
// probes run concurrently.
type JournalWriter struct {
	mu  sync.Mutex
	out io.Writer
	enc *json.Encoder
}

// NewJournalWriter writes one JSON object per line to out. Each record is
// written immediately (no buffering) so a crash mid-drill loses nothing.
func NewJournalWriter(out io.Writer) *JournalWriter {
	return &JournalWriter{out: out, enc: json.NewEncoder(out)}
}

// Append writes one record.
func (j *JournalWriter) Append(record any) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.enc.Encode(record); err != nil {
		return fmt.Errorf("append journal record: %w", err)
	}
	return nil
}

// OpenJournalFile opens path for appending, so restarting the tool during a
// drill extends the journal instead of erasing the evidence.
func OpenJournalFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	return f, nil
}

// ReadJournal decodes a JSON-lines file into records of type T.
func ReadJournal[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	records, err := DecodeJournal[T](f)
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", path, err)
	}
	return records, nil
}

// DecodeJournal decodes JSON lines from r. A truncated final line (the tool
// was killed mid-write) is tolerated; any other malformed line is an error.
func DecodeJournal[T any](r io.Reader) ([]T, error) {
	var records []T
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo := 0
	var pendingErr error
	for sc.Scan() {
		lineNo++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if pendingErr != nil {
			return nil, pendingErr
		}
		var rec T
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			pendingErr = fmt.Errorf("line %d: %w", lineNo, err)
			continue
		}
		records = append(records, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scan journal: %w", err)
	}
	return records, nil
}
