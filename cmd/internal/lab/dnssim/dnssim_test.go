package dnssim

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

const (
	appHost = "app.taskflow.example.com."
	albHost = "primary-alb.eu-west-1.elb.amazonaws.com."
)

var (
	primaryIP = netip.MustParseAddr("127.0.0.11")
	standbyIP = netip.MustParseAddr("127.0.0.12")
)

// fakeZone answers the app host with a CNAME to an ALB and the ALB with an
// A record, as the lab cloud does for a failover record; its target can be
// switched to watch clients follow.
type fakeZone struct {
	mu       sync.Mutex
	target   netip.Addr
	cnameTTL uint32
	aTTL     uint32
	asked    []string
}

func (z *fakeZone) set(a netip.Addr) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.target = a
}

func (z *fakeZone) Answer(name string, qtype dnsmessage.Type) Answer {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.asked = append(z.asked, name)
	switch name {
	case appHost:
		if qtype != dnsmessage.TypeA {
			return Answer{RCode: dnsmessage.RCodeSuccess}
		}
		return Answer{Records: []Record{
			{Name: appHost, TTL: z.cnameTTL, Target: albHost},
			{Name: albHost, TTL: z.aTTL, A: z.target},
		}}
	case albHost:
		return Answer{Records: []Record{{Name: albHost, TTL: z.aTTL, A: z.target}}}
	}
	return Answer{RCode: dnsmessage.RCodeNameError}
}

func serve(t *testing.T, z Zone) *Server {
	t.Helper()
	s, err := Serve(z, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAnswersFollowTheZone(t *testing.T) {
	z := &fakeZone{target: primaryIP, cnameTTL: 7, aTTL: 60}
	s := serve(t, z)
	ctx := context.Background()

	// The question reaches the zone canonical: lower case, trailing dot.
	h, answers, err := exchange(ctx, s.Addr(), "APP.TaskFlow.example.com.", dnsmessage.TypeA)
	if err != nil {
		t.Fatalf("A query: %v", err)
	}
	if !h.Authoritative || h.RCode != dnsmessage.RCodeSuccess || len(answers) != 2 {
		t.Fatalf("A reply: header %+v, %d answers", h, len(answers))
	}
	if z.asked[0] != appHost {
		t.Fatalf("zone asked %q, want %q", z.asked[0], appHost)
	}
	if _, ok := answers[0].Body.(*dnsmessage.CNAMEResource); !ok || answers[0].Header.TTL != 7 {
		t.Fatalf("first record %+v, want the CNAME with TTL 7", answers[0])
	}

	// Go's resolver (getent's job in the lab) follows the CNAME.
	addrs, err := NewResolver(s.Addr()).LookupNetIP(ctx, "ip4", "app.taskflow.example.com")
	if err != nil || len(addrs) != 1 || addrs[0] != primaryIP {
		t.Fatalf("net.Resolver: %v, %v; want %v", addrs, err, primaryIP)
	}

	h, _, err = exchange(ctx, s.Addr(), "other.taskflow.example.com.", dnsmessage.TypeA)
	if err != nil || h.RCode != dnsmessage.RCodeNameError {
		t.Fatalf("unknown name: rcode %v, %v; want NXDOMAIN", h.RCode, err)
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

// A cache keeps the chain no longer than its shortest TTL: the failover
// CNAME's, not the load balancer's.
func TestCachingResolverHonoursShortestTTL(t *testing.T) {
	z := &fakeZone{target: primaryIP, cnameTTL: 1, aTTL: 60}
	s := serve(t, z)
	cr := NewCachingResolver(s.Addr())
	ctx := context.Background()

	start := time.Now()
	got, err := cr.LookupHost(ctx, "app.taskflow.example.com")
	if err != nil || got != primaryIP {
		t.Fatalf("first lookup: %v, %v; want %v", got, err, primaryIP)
	}
	z.set(standbyIP)
	for {
		got, err := cr.LookupHost(ctx, "app.taskflow.example.com")
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
			t.Fatalf("still %v after %v, shortest TTL is 1s", got, elapsed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := Serve(&fakeZone{target: primaryIP, cnameTTL: 1, aTTL: 1}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, _, err := exchange(ctx, addr, appHost, dnsmessage.TypeA); err == nil {
		t.Fatal("closed server still answers")
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, had %d", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
