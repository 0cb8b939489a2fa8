package dnssim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

const testHost = "app.taskflow.example.com"

var (
	primaryIP = netip.MustParseAddr("127.0.0.11")
	standbyIP = netip.MustParseAddr("127.0.0.12")
)

// fakePrimary is a health endpoint that can be flipped; it records when it
// served each failing response so tests can count failures exactly.
type fakePrimary struct {
	srv     *httptest.Server
	healthy atomic.Bool

	mu       sync.Mutex
	failures []time.Time
	served   int
}

func newFakePrimary(t *testing.T) *fakePrimary {
	t.Helper()
	f := &fakePrimary{}
	f.healthy.Store(true)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.served++
		if f.healthy.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		f.failures = append(f.failures, time.Now())
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePrimary) failuresBefore(at time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ft := range f.failures {
		if ft.Before(at) {
			n++
		}
	}
	return n
}

func (f *fakePrimary) servedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

func startSim(t *testing.T, checkURL string, ttl time.Duration) *Sim {
	t.Helper()
	s, err := Start(Config{
		Host:             testHost,
		PrimaryIP:        primaryIP,
		StandbyIP:        standbyIP,
		CheckURL:         checkURL,
		Interval:         50 * time.Millisecond,
		FailureThreshold: 3,
		TTL:              ttl,
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor polls cond until it holds or the timeout expires.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lastEvent(t *testing.T, s *Sim, kind string) Event {
	t.Helper()
	evs := s.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i]
		}
	}
	t.Fatalf("no %q event in %+v", kind, evs)
	return Event{}
}

func checkEventKinds(t *testing.T, s *Sim, want ...string) {
	t.Helper()
	var got []string
	for _, e := range s.Events() {
		got = append(got, e.Kind)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func resolve(t *testing.T, s *Sim, host string) netip.Addr {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := NewResolver(s.Addr()).LookupNetIP(ctx, "ip4", host)
	if err != nil {
		t.Fatalf("resolve %s: %v", host, err)
	}
	if len(addrs) != 1 {
		t.Fatalf("resolve %s: got %v, want one address", host, addrs)
	}
	return addrs[0]
}

func TestFailoverAndRecovery(t *testing.T) {
	fp := newFakePrimary(t)
	s := startSim(t, fp.srv.URL+"/healthz", time.Second)

	// Let a few healthy checks pass first.
	waitFor(t, "healthy checks", 2*time.Second, func() bool { return fp.servedCount() >= 3 })
	if got := resolve(t, s, testHost); got != primaryIP {
		t.Fatalf("healthy primary: answer %v, want %v", got, primaryIP)
	}

	fp.healthy.Store(false)
	waitFor(t, "standby answer", 3*time.Second, func() bool { return s.Answer() == standbyIP })
	unhealthy := lastEvent(t, s, KindEndpointUnhealthy)
	// Exactly the third consecutive failure flips the endpoint: the fourth
	// check only starts after the event has been recorded.
	if n := fp.failuresBefore(unhealthy.At); n != 3 {
		t.Fatalf("endpoint marked unhealthy after %d failures, want 3", n)
	}
	if s.EndpointHealthy() || s.PrimaryServed() {
		t.Fatalf("after failures: endpoint healthy %t, primary served %t", s.EndpointHealthy(), s.PrimaryServed())
	}
	if got := resolve(t, s, testHost); got != standbyIP {
		t.Fatalf("unhealthy primary: answer %v, want %v", got, standbyIP)
	}

	fp.healthy.Store(true)
	recoverStart := time.Now()
	waitFor(t, "primary answer", 3*time.Second, func() bool { return s.Answer() == primaryIP })
	// Three successes need at least two more intervals after the first.
	if d := time.Since(recoverStart); d < 100*time.Millisecond {
		t.Fatalf("recovered after %v, faster than 3 checks at 50ms", d)
	}
	if got := resolve(t, s, testHost); got != primaryIP {
		t.Fatalf("recovered primary: answer %v, want %v", got, primaryIP)
	}

	checkEventKinds(t, s, KindEndpointUnhealthy, KindServingStandby, KindEndpointHealthy, KindServingPrimary)
}

func TestFencedGateServesStandby(t *testing.T) {
	fp := newFakePrimary(t)
	s := startSim(t, fp.srv.URL+"/healthz", time.Second)

	s.SetGateThreshold(2)
	if s.GateThreshold() != 2 || s.Answer() != standbyIP {
		t.Fatalf("fenced: threshold %d, answer %v", s.GateThreshold(), s.Answer())
	}
	served := fp.servedCount()
	waitFor(t, "more healthy checks", 2*time.Second, func() bool { return fp.servedCount() >= served+4 })
	if !s.EndpointHealthy() {
		t.Fatal("endpoint should stay healthy while fenced")
	}
	if got := resolve(t, s, testHost); got != standbyIP {
		t.Fatalf("fenced with healthy primary: answer %v, want %v", got, standbyIP)
	}

	s.SetGateThreshold(1)
	if got := resolve(t, s, testHost); got != primaryIP {
		t.Fatalf("unfenced: answer %v, want %v", got, primaryIP)
	}
	checkEventKinds(t, s, KindGateThreshold, KindServingStandby, KindGateThreshold, KindServingPrimary)
}

func TestAnswerFormat(t *testing.T) {
	fp := newFakePrimary(t)
	s := startSim(t, fp.srv.URL, 7*time.Second)
	ctx := context.Background()

	// Case and the trailing dot must not matter.
	h, answers, err := exchange(ctx, s.Addr(), "APP.TaskFlow.example.com.", dnsmessage.TypeA)
	if err != nil {
		t.Fatalf("A query: %v", err)
	}
	if !h.Authoritative || h.RCode != dnsmessage.RCodeSuccess || len(answers) != 1 {
		t.Fatalf("A reply: header %+v, %d answers", h, len(answers))
	}
	if ttl := answers[0].Header.TTL; ttl != 7 {
		t.Fatalf("TTL %d, want 7", ttl)
	}

	h, answers, err = exchange(ctx, s.Addr(), testHost+".", dnsmessage.TypeAAAA)
	if err != nil {
		t.Fatalf("AAAA query: %v", err)
	}
	if h.RCode != dnsmessage.RCodeSuccess || len(answers) != 0 {
		t.Fatalf("AAAA reply: rcode %v, %d answers; want NOERROR, none", h.RCode, len(answers))
	}

	h, _, err = exchange(ctx, s.Addr(), "other.taskflow.example.com.", dnsmessage.TypeA)
	if err != nil {
		t.Fatalf("unknown-name query: %v", err)
	}
	if h.RCode != dnsmessage.RCodeNameError {
		t.Fatalf("unknown name: rcode %v, want NXDOMAIN", h.RCode)
	}

	_, err = NewResolver(s.Addr()).LookupHost(ctx, "other.taskflow.example.com")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("net.Resolver unknown name: %v, want not-found DNSError", err)
	}
	if _, err := NewCachingResolver(s.Addr()).LookupHost(ctx, "other.taskflow.example.com"); !errors.Is(err, ErrNoSuchHost) {
		t.Fatalf("CachingResolver unknown name: %v, want ErrNoSuchHost", err)
	}
}

func TestTTLRounding(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want uint32
	}{{0, 1}, {300 * time.Millisecond, 1}, {1500 * time.Millisecond, 2}, {60 * time.Second, 60}} {
		if got := (Config{TTL: tc.ttl}).ttlSeconds(); got != tc.want {
			t.Errorf("TTL %v: %d s, want %d", tc.ttl, got, tc.want)
		}
	}
}

func TestCachingResolverHonoursTTL(t *testing.T) {
	fp := newFakePrimary(t)
	s := startSim(t, fp.srv.URL, time.Second)
	cr := NewCachingResolver(s.Addr())
	ctx := context.Background()

	start := time.Now()
	got, err := cr.LookupHost(ctx, testHost)
	if err != nil || got != primaryIP {
		t.Fatalf("first lookup: %v, %v; want %v", got, err, primaryIP)
	}
	s.SetGateThreshold(2)
	if got := resolve(t, s, testHost); got != standbyIP {
		t.Fatalf("uncached resolver after fencing: %v, want %v", got, standbyIP)
	}

	for {
		got, err := cr.LookupHost(ctx, testHost)
		if err != nil {
			t.Fatalf("cached lookup: %v", err)
		}
		elapsed := time.Since(start)
		if got == standbyIP {
			if elapsed < time.Second {
				t.Fatalf("new answer after %v, before the 1s TTL expired", elapsed)
			}
			return
		}
		if elapsed > 3*time.Second {
			t.Fatalf("still %v after %v, TTL is 1s", got, elapsed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	_, err := Start(Config{Host: testHost, PrimaryIP: primaryIP, StandbyIP: standbyIP,
		CheckURL: "http://127.0.0.1:1/", Interval: time.Second, FailureThreshold: 11}, "127.0.0.1:0")
	if err == nil {
		t.Fatal("threshold 11 accepted")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	fp := newFakePrimary(t)
	before := runtime.NumGoroutine()
	s := startSim(t, fp.srv.URL, time.Second)
	resolve(t, s, testHost)
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, _, err := exchange(ctx, addr, testHost+".", dnsmessage.TypeA); err == nil {
		t.Fatal("closed simulator still answers")
	}
	// Close waits for its goroutines; the tolerance covers the fake
	// server's connection goroutines winding down.
	waitFor(t, "goroutines to exit", 2*time.Second, func() bool { return runtime.NumGoroutine() <= before+1 })
}
