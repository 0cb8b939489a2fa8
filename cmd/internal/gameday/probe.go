package gameday

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxProbeBody bounds how much of a health response is read when looking
// for the region field; health bodies are tiny, a huge one is a bug.
const maxProbeBody = 64 * 1024

// LookupHostFunc resolves a host name to addresses. It is injectable so tests
// can simulate the DNS switch without a DNS server.
type LookupHostFunc func(ctx context.Context, host string) ([]string, error)

// ProbeConfig configures the health prober.
type ProbeConfig struct {
	URL      string
	Interval time.Duration
	Timeout  time.Duration
	// RegionHeader names the response header carrying the answering region;
	// RegionField names a top-level JSON body field instead. One must be set.
	RegionHeader string
	RegionField  string
	// LookupHost defaults to net.DefaultResolver.LookupHost, called on every
	// request: the whole point is to see the DNS switch when clients do.
	LookupHost LookupHostFunc
	Journal    *JournalWriter
	Logf       func(format string, args ...any)
}

// Validate checks the configuration.
func (c ProbeConfig) Validate() error {
	if c.URL == "" {
		return errors.New("probe: a URL is required")
	}
	if c.RegionHeader == "" && c.RegionField == "" {
		return errors.New("probe: set a region header or a region body field")
	}
	if c.Interval <= 0 || c.Timeout <= 0 {
		return errors.New("probe: interval and timeout must be positive")
	}
	if c.Journal == nil {
		return errors.New("probe: a journal is required")
	}
	return nil
}

// RunProbe probes every Interval until ctx is cancelled. Probes run
// concurrently so that one hanging request (a blackholed load balancer)
// does not hide the next second's answer.
func RunProbe(ctx context.Context, cfg ProbeConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		writeErr error
		state    probeStateLog
	)
	ticker := time.NewTicker(cfg.Interval)
	defer ticker.Stop()
	for {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := ProbeOnce(ctx, cfg)
			if ctx.Err() != nil && !rec.OK {
				return // cancelled by shutdown, not a real failure
			}
			state.logTransition(cfg.Logf, rec)
			if err := cfg.Journal.Append(rec); err != nil {
				errOnce.Do(func() { writeErr = err })
			}
		}()
		select {
		case <-ctx.Done():
			wg.Wait()
			return writeErr
		case <-ticker.C:
		}
	}
}

// probeStateLog logs only changes (healthy region A -> failing -> region B),
// keeping the console readable at one probe per second.
type probeStateLog struct {
	mu   sync.Mutex
	last string
}

func (s *probeStateLog) logTransition(logf func(string, ...any), rec ProbeRecord) {
	state := "failing: " + rec.Error
	if rec.OK {
		state = "healthy, region " + rec.Region
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if state != s.last {
		logf("probe: %s (status %d, %s)", state, rec.Status, rec.Latency().Round(time.Millisecond))
		s.last = state
	}
}

// ProbeOnce performs one GET with a brand-new transport: no keep-alive and no
// connection reuse, so every request resolves the host and connects afresh.
func ProbeOnce(ctx context.Context, cfg ProbeConfig) ProbeRecord {
	lookup := cfg.LookupHost
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	rec := ProbeRecord{At: time.Now().UTC()}
	// The dial runs on the transport's goroutine and may outlive Do on a
	// timeout, hence the atomic.
	var dialedAddr atomic.Value
	dialedAddr.Store("")
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	transport := &http.Transport{
		DisableKeepAlives: true,
		Proxy:             nil, // a proxy would resolve for us and hide the DNS switch
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, ip, err := dialResolved(ctx, dialer, lookup, network, addr)
			dialedAddr.Store(ip)
			return conn, err
		},
		TLSHandshakeTimeout: cfg.Timeout,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}

	start := time.Now()
	status, region, err := fetchRegion(ctx, client, cfg)
	rec.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	rec.Status, rec.Region, rec.Addr = status, region, dialedAddr.Load().(string)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	rec.OK = status >= 200 && status < 300
	if !rec.OK {
		rec.Error = fmt.Sprintf("unhealthy status %d", status)
	}
	return rec
}

// dialResolved resolves host with lookup and dials the first address that
// answers, reporting which IP it used.
func dialResolved(ctx context.Context, dialer *net.Dialer, lookup LookupHostFunc, network, addr string) (net.Conn, string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("split %q: %w", addr, err)
	}
	ips := []string{host}
	if net.ParseIP(host) == nil {
		ips, err = lookup(ctx, host)
		if err != nil {
			return nil, "", fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	var lastErr error = fmt.Errorf("resolve %s: no addresses", host)
	for _, ip := range ips {
		conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip, port))
		if err == nil {
			return conn, ip, nil
		}
		lastErr = err
	}
	return nil, strings.Join(ips, ","), lastErr
}

func fetchRegion(ctx context.Context, client *http.Client, cfg ProbeConfig) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.URL, nil)
	if err != nil {
		return 0, "", fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("GET: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("read body: %w", err)
	}
	region := ""
	if cfg.RegionHeader != "" {
		region = resp.Header.Get(cfg.RegionHeader)
	}
	if region == "" && cfg.RegionField != "" {
		region = regionFromJSON(body, cfg.RegionField)
	}
	return resp.StatusCode, region, nil
}

// regionFromJSON extracts a top-level string field; a body that is not JSON
// simply yields no region (the probe is still recorded).
func regionFromJSON(body []byte, field string) string {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	if s, ok := doc[field].(string); ok {
		return s
	}
	return ""
}
