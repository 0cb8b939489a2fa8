package gameday

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteRecordAndChart(t *testing.T) {
	d := failoverScenario().drill(t)
	res := Analyze(d, promotedRows(d, 3), true, Objectives{RTO: 15 * time.Minute, RPO: 10 * time.Second})

	var md bytes.Buffer
	require.NoError(t, WriteRecord(&md, RecordInfo{Environment: "staging", AppURL: "https://app.example.com", ChartFile: "record.png"}, d, res))
	record := md.String()
	for _, want := range []string{
		"# Game-day record: regional failover drill, 2026-11-25",
		"| RTO | 15m0s | 3m30s | **PASS** |",
		"| RPO | 10s | 3s (3 acknowledged write(s) lost) | **PASS** |",
		"| Outage start | 2026-11-25T21:01:30.000Z | +00:00.0 | timeline event `declared` (line 2) |",
		"| 2026-11-25T21:03:50.000Z | +02:20.0 | `promoted` | replica promoted |",
		"Acknowledged writes lost: **3** (seq 157, 158, 159)",
		"![Drill timeline](record.png)",
	} {
		assert.Contains(t, record, want)
	}

	if dir := os.Getenv("GAMEDAY_SAMPLE_DIR"); dir != "" {
		// Lets a human read the record: GAMEDAY_SAMPLE_DIR=/tmp go test -run Record
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sample-record.md"), md.Bytes(), 0o644))
	}
}

// writeJSONL writes records as a journal file.
func writeJSONL[T any](t *testing.T, path string, records []T) {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range records {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		buf.Write(append(b, '\n'))
	}
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func TestReportCommandExitStatus(t *testing.T) {
	dir := t.TempDir()
	sc := failoverScenario()
	d := sc.drill(t)
	paths := map[string]string{
		"timeline":   filepath.Join(dir, "dr-timeline.tsv"),
		"heartbeats": filepath.Join(dir, "heartbeats.jsonl"),
		"probes":     filepath.Join(dir, "probes.jsonl"),
	}
	require.NoError(t, os.WriteFile(paths["timeline"], []byte(sc.timeline), 0o644))
	writeJSONL(t, paths["heartbeats"], d.Heartbeats)
	writeJSONL(t, paths["probes"], d.Probes)
	out := filepath.Join(dir, "records", "2026-11-25-record.md")

	run := func(extra ...string) (int, string) {
		args := append([]string{"report", "--timeline", paths["timeline"], "--heartbeats", paths["heartbeats"],
			"--probes", paths["probes"], "--primary-region", "eu-west-1", "--standby-region", "eu-central-1",
			"--out", out}, extra...)
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), args, &stdout, &stderr)
		return code, stderr.String()
	}

	code, stderr := run("--rto", "15m")
	assert.Equal(t, ExitInconclusive, code, "RPO cannot be measured without the promoted database: %s", stderr)
	record, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(record), "![Drill timeline](2026-11-25-record.png)")
	_, err = os.Stat(filepath.Join(dir, "records", "2026-11-25-record.png"))
	require.NoError(t, err)

	code, _ = run("--rto", "1m")
	assert.Equal(t, ExitObjectiveMissed, code)

	// The budget and the cut go to the chart.
	budget := filepath.Join(dir, "budget.json")
	require.NoError(t, os.WriteFile(budget, []byte(`{"rtoBudget":`+budgetJSON+`}`), 0o644))
	chart := filepath.Join(dir, "chart.png")
	code, stderr = run("--budget", budget, "--cut", "2026-11-25T21:00:59.500Z", "--chart", chart)
	assert.Equal(t, ExitInconclusive, code, stderr)
	f, err := os.Open(chart)
	require.NoError(t, err)
	_, err = png.Decode(f)
	f.Close()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(budget, []byte(`{"detectionSeconds":30}`), 0o644))
	code, stderr = run("--budget", budget)
	assert.Equal(t, ExitError, code)
	assert.Contains(t, stderr, "dnsTtlSeconds is missing")
	code, stderr = run("--cut", "yesterday")
	assert.Equal(t, ExitError, code)
	assert.Contains(t, stderr, "--cut")

	assert.Equal(t, ExitUsage, Main(context.Background(), []string{"report"}, &bytes.Buffer{}, &bytes.Buffer{}))
	assert.Equal(t, ExitUsage, Main(context.Background(), []string{"bogus"}, &bytes.Buffer{}, &bytes.Buffer{}))
}
