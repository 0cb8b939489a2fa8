package dnssim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// ErrNoSuchHost is wrapped by CachingResolver.LookupHost when the server
// answers NXDOMAIN or has no A record for the name.
var ErrNoSuchHost = errors.New("no such host")

// defaultQueryTimeout bounds a query whose context has no deadline, so a
// closed simulator turns into an error rather than a hang.
const defaultQueryTimeout = 2 * time.Second

// NewResolver returns a resolver that sends every DNS query to the
// simulator at addr over UDP, whatever /etc/resolv.conf says. It does not
// cache, so it always sees the simulator's current answer (note that the
// pure-Go resolver still consults /etc/hosts first).
func NewResolver(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", addr)
		},
	}
}

// CachingResolver models a client whose resolver honours the TTL: it keeps
// each A answer until its TTL expires and only then asks again.
type CachingResolver struct {
	addr string

	mu    sync.Mutex
	cache map[string]cacheEntry
}

type cacheEntry struct {
	addr    netip.Addr
	expires time.Time
}

// NewCachingResolver returns a CachingResolver querying the simulator at addr.
func NewCachingResolver(addr string) *CachingResolver {
	return &CachingResolver{addr: addr, cache: make(map[string]cacheEntry)}
}

// LookupHost returns the cached A answer for host while its TTL lasts,
// otherwise queries the simulator and caches the new answer for its TTL.
func (c *CachingResolver) LookupHost(ctx context.Context, host string) (netip.Addr, error) {
	name := CanonicalName(host)
	c.mu.Lock()
	e, ok := c.cache[name]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.addr, nil
	}

	addr, ttl, err := lookupA(ctx, c.addr, name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("lookup %s via %s: %w", host, c.addr, err)
	}
	// The TTL counts from when the answer arrived, as in a real cache.
	c.mu.Lock()
	c.cache[name] = cacheEntry{addr: addr, expires: time.Now().Add(ttl)}
	c.mu.Unlock()
	return addr, nil
}

// lookupA queries server for the A record of the fully qualified name,
// following a CNAME chain within the answer, and returns the address with
// the smallest TTL along the chain (a cache may keep the answer no longer
// than its shortest-lived record).
func lookupA(ctx context.Context, server, name string) (netip.Addr, time.Duration, error) {
	h, answers, err := exchange(ctx, server, name, dnsmessage.TypeA)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if h.RCode == dnsmessage.RCodeNameError {
		return netip.Addr{}, 0, ErrNoSuchHost
	}
	if h.RCode != dnsmessage.RCodeSuccess {
		return netip.Addr{}, 0, fmt.Errorf("server answered %v", h.RCode)
	}
	want := name
	ttl := uint32(0)
	for range len(answers) + 1 {
		next := ""
		for _, rr := range answers {
			if !strings.EqualFold(rr.Header.Name.String(), want) {
				continue
			}
			if ttl == 0 || rr.Header.TTL < ttl {
				ttl = rr.Header.TTL
			}
			switch body := rr.Body.(type) {
			case *dnsmessage.AResource:
				return netip.AddrFrom4(body.A), time.Duration(ttl) * time.Second, nil
			case *dnsmessage.CNAMEResource:
				next = body.CNAME.String()
			}
		}
		if next == "" {
			break
		}
		want = next
	}
	return netip.Addr{}, 0, fmt.Errorf("no A record: %w", ErrNoSuchHost)
}

// exchange sends one query over UDP and returns the reply's header and
// answer section, checking that the reply belongs to the query.
func exchange(ctx context.Context, server, name string, qtype dnsmessage.Type) (dnsmessage.Header, []dnsmessage.Resource, error) {
	qname, err := dnsmessage.NewName(name)
	if err != nil {
		return dnsmessage.Header{}, nil, fmt.Errorf("invalid name %q: %w", name, err)
	}
	id := uint16(rand.Uint32())
	q := dnsmessage.Question{Name: qname, Type: qtype, Class: dnsmessage.ClassINET}
	query, err := (&dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{q},
	}).Pack()
	if err != nil {
		return dnsmessage.Header{}, nil, fmt.Errorf("pack query: %w", err)
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultQueryTimeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", server)
	if err != nil {
		return dnsmessage.Header{}, nil, fmt.Errorf("dial %s: %w", server, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return dnsmessage.Header{}, nil, fmt.Errorf("set deadline: %w", err)
	}
	// Cancellation without a deadline must also abort the blocking read.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(query); err != nil {
		return dnsmessage.Header{}, nil, fmt.Errorf("send query: %w", err)
	}

	buf := make([]byte, 65535)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return dnsmessage.Header{}, nil, fmt.Errorf("read reply: %w", err)
		}
		var m dnsmessage.Message
		if err := m.Unpack(buf[:n]); err != nil {
			// Ignore garbage and keep waiting for the real reply, as a
			// stub resolver does.
			continue
		}
		if !m.Header.Response || m.Header.ID != id || len(m.Questions) != 1 ||
			m.Questions[0].Type != qtype || !strings.EqualFold(m.Questions[0].Name.String(), name) {
			continue
		}
		return m.Header, m.Answers, nil
	}
}
