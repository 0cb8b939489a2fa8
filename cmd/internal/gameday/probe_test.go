package gameday

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// regionServer answers /healthz as one region would.
func regionServer(t *testing.T, region string, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Region", region)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":"ok","region":%q}`, region)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestProbeFollowsResolverAnswer simulates the DNS switch: two servers on
// the same port of two loopback addresses, and a resolver whose answer
// changes. A prober that cached the address or reused its connection would
// keep reaching the primary.
func TestProbeFollowsResolverAnswer(t *testing.T) {
	// Same port on two loopback addresses: only the resolver answer differs.
	l1, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l1.Addr().(*net.TCPAddr).Port
	l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.2:%d", port))
	if err != nil {
		l1.Close()
		t.Skipf("127.0.0.2 not usable here: %v", err)
	}
	serve := func(l net.Listener, region string) {
		srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"region":%q}`, region)
		})}}
		srv.Start()
		t.Cleanup(srv.Close)
	}
	serve(l1, "eu-west-1")
	serve(l2, "eu-central-1")

	var answer atomic.Value
	answer.Store("127.0.0.1")
	var lookups atomic.Int32
	cfg := ProbeConfig{
		URL: fmt.Sprintf("http://app.test:%d/healthz", port), Timeout: time.Second, Interval: time.Second,
		RegionField: "region", Journal: NewJournalWriter(&bytes.Buffer{}),
		LookupHost: func(context.Context, string) ([]string, error) {
			lookups.Add(1)
			return []string{answer.Load().(string)}, nil
		},
	}
	before := ProbeOnce(context.Background(), cfg)
	answer.Store("127.0.0.2")
	after := ProbeOnce(context.Background(), cfg)
	assert.Equal(t, "eu-west-1", before.Region)
	assert.Equal(t, "eu-central-1", after.Region)
	assert.Equal(t, "127.0.0.2", after.Addr)
	assert.EqualValues(t, 2, lookups.Load(), "one lookup per request, no cache")
}

func TestProbeRecordsFailures(t *testing.T) {
	unhealthy := regionServer(t, "eu-west-1", http.StatusServiceUnavailable)
	cfg := ProbeConfig{URL: unhealthy.URL, Timeout: time.Second, Interval: time.Second, RegionHeader: "X-Region", Journal: NewJournalWriter(&bytes.Buffer{})}
	rec := ProbeOnce(context.Background(), cfg)
	assert.False(t, rec.OK)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Status)
	assert.Contains(t, rec.Error, "503")

	cfg.URL = "http://app.test/healthz"
	cfg.LookupHost = func(context.Context, string) ([]string, error) { return nil, errors.New("NXDOMAIN") }
	rec = ProbeOnce(context.Background(), cfg)
	assert.False(t, rec.OK)
	assert.Contains(t, rec.Error, "NXDOMAIN")
}

func TestRunProbeJournalsEveryTick(t *testing.T) {
	srv := regionServer(t, "eu-west-1", http.StatusOK)
	var buf syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	err := RunProbe(ctx, ProbeConfig{URL: srv.URL, Interval: 50 * time.Millisecond, Timeout: time.Second, RegionHeader: "X-Region", Journal: NewJournalWriter(&buf)})
	require.NoError(t, err)
	records, err := DecodeJournal[ProbeRecord](bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(records), 4)
	for _, r := range records {
		assert.True(t, r.OK)
		assert.Equal(t, "eu-west-1", r.Region)
	}
}
