package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/drmetrics"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfigFromEnv(t *testing.T) {
	base := map[string]string{
		EnvDBHost: "db.eu-central-1.rds.amazonaws.com", EnvDBPort: "5432", EnvDBName: "taskflow",
		EnvSecretARN: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbCdEf",
		EnvRegion:    "eu-central-1", EnvPeerRegion: "eu-west-1", EnvCluster: "taskflow-dr-standby", EnvPeerCluster: "taskflow-dr-primary",
	}
	cfg, err := ConfigFromEnv(env(base))
	require.NoError(t, err)
	assert.Equal(t, time.Second, cfg.Interval)
	assert.Equal(t, 24*time.Hour, cfg.Retention)
	assert.Equal(t, ":8080", cfg.Listen)
	assert.Equal(t, MetricsCloudWatch, cfg.Metrics)
	assert.Equal(t, uint16(5432), cfg.DBPort)
	assert.Equal(t, "db.eu-central-1.rds.amazonaws.com:5432/taskflow", cfg.DBEndpoint())

	bad := map[string]string{EnvRegion: "eu-west-1", EnvPeerRegion: "eu-west-1", EnvDBPort: "http",
		"DR_UNUSED": "ignored", EnvInterval: "10ms", EnvRetention: "soon", EnvMetrics: "prometheus"}
	_, err = ConfigFromEnv(env(bad))
	require.Error(t, err)
	for _, want := range []string{EnvDBHost, EnvDBName, EnvSecretARN, EnvCluster, EnvPeerCluster, "not a TCP port",
		"below the minimum 100ms", EnvRetention, EnvMetrics, "must outlive the writer's region"} {
		assert.Contains(t, err.Error(), want)
	}

	dsnOnly := map[string]string{EnvDSN: "postgres://app:s3cret@127.0.0.1:5432/app", EnvRegion: "a", EnvPeerRegion: "b", EnvCluster: "c", EnvPeerCluster: "d"}
	cfg, err = ConfigFromEnv(env(dsnOnly))
	require.NoError(t, err, "DR_DB_DSN stands for the four DB settings")
	assert.NotContains(t, cfg.DBEndpoint(), "s3cret")
}

func TestQuoteValue(t *testing.T) {
	assert.Equal(t, `'it''s'`, strings.ReplaceAll(quoteValue(`it's`), `\'`, `''`))
	assert.Equal(t, `'a\\b'`, quoteValue(`a\b`))
}

// TestMainEndToEnd runs Main as the container does, from the environment
// only: the database from DR_DB_DSN, CloudWatch through the SDK's standard
// endpoint override (AWS_ENDPOINT_URL) with static keys, and checks the
// HTTP contract.
func TestMainEndToEnd(t *testing.T) {
	l := newLabPair(t)
	port := freeTCPPort(t)
	t.Setenv("AWS_ENDPOINT_URL", l.cw.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLAB")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "lab-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	vars := map[string]string{
		EnvDSN: l.replica.DSN("postgres"), EnvRegion: centralRegion, EnvPeerRegion: westRegion,
		EnvCluster: centralCluster, EnvPeerCluster: westCluster, EnvInterval: "100ms",
		EnvListen: fmt.Sprintf("127.0.0.1:%d", port),
	}
	writer := l.startAgent(l.writer, westRegion, testInterval)
	waitStatus(t, writer, "heartbeats", 10*time.Second, func(s Status) bool { return s.AckedSeq != nil })

	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- Main(ctx, env(vars), logs) }()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, ExitOK, <-done)
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	var st map[string]any
	require.Eventually(t, func() bool {
		body, code := get(t, base+"/status")
		if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
			return false
		}
		return st["role"] == "replica" && st["delaySeconds"] != nil
	}, 10*time.Second, 50*time.Millisecond, "logs:\n%s", logs.String())
	for _, key := range []string{"role", "region", "cluster", "newestSeq", "newestAt", "ackedSeq", "ackedAt", "delaySeconds", "lastError", "updatedAt", "intervalSeconds"} {
		assert.Contains(t, st, key, "cmd/dr-agent/README.md /status field")
	}
	assert.Equal(t, centralRegion, st["region"])
	assert.Equal(t, centralCluster, st["cluster"])
	assert.Nil(t, st["ackedSeq"], "a replica acknowledges nothing")
	assert.Equal(t, 0.1, st["intervalSeconds"])

	metrics, code := get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, re := range []string{
		`(?m)^taskflow_dr_replication_delay_seconds [0-9.e-]+$`,
		`(?m)^taskflow_dr_heartbeat_newest_sequence [0-9]+$`,
		`(?m)^taskflow_dr_role\{role="writer"\} 0$`,
		`(?m)^taskflow_dr_role\{role="replica"\} 1$`,
		`(?m)^# TYPE taskflow_dr_replication_delay_seconds gauge$`,
	} {
		assert.Regexp(t, regexp.MustCompile(re), metrics)
	}
	health, code := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code, health)

	require.Eventually(t, func() bool {
		return len(l.cw.Points(centralRegion, drmetrics.Namespace, drmetrics.ReplicationDelay, map[string]string{"Cluster": centralCluster})) > 0
	}, 10*time.Second, 50*time.Millisecond, "published through AWS_ENDPOINT_URL")
	assert.NotContains(t, logs.String(), "lab-secret")
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return "", 0
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b), resp.StatusCode
}
