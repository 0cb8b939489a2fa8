package rehearsal

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
)

// write is one write the load generator sent through the app host.
type write struct {
	ID     int64
	At     time.Time
	Region string // who answered; "" when nothing did
	Status int    // HTTP status; 0 when the request failed
	Addr   netip.Addr
}

func (w write) acked() bool { return w.Status == http.StatusOK }

// loadGenerator is TaskFlow's clients: a steady stream of writes through
// the app host, resolved by a resolver that honours the record's TTL (as
// real clients' resolvers do), so the DNS switch reaches it as it would
// reach users.
type loadGenerator struct {
	host     string
	port     int
	interval time.Duration
	resolver *dnssim.CachingResolver

	mu     sync.Mutex
	writes []write
}

func newLoadGenerator(host string, port int, interval time.Duration, dnsAddr string) *loadGenerator {
	return &loadGenerator{host: host, port: port, interval: interval, resolver: dnssim.NewCachingResolver(dnsAddr)}
}

// run sends writes until ctx ends; each write has a new id.
func (g *loadGenerator) run(ctx context.Context) {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(g.interval)
	defer tick.Stop()
	for id := int64(1); ; id++ {
		g.send(ctx, client, id)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (g *loadGenerator) send(ctx context.Context, client *http.Client, id int64) {
	w := write{ID: id, At: time.Now()}
	defer func() {
		g.mu.Lock()
		g.writes = append(g.writes, w)
		g.mu.Unlock()
	}()
	lookup, cancel := context.WithTimeout(ctx, time.Second)
	addr, err := g.resolver.LookupHost(lookup, g.host)
	cancel()
	if err != nil {
		return
	}
	w.Addr = addr
	url := fmt.Sprintf("http://%s/write?id=%d", netip.AddrPortFrom(addr, uint16(g.port)), id)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return
	}
	req.Host = g.host
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	resp.Body.Close()
	w.Status = resp.StatusCode
	w.Region = resp.Header.Get("X-Region")
}

// snapshot copies the writes so far.
func (g *loadGenerator) snapshot() []write {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]write(nil), g.writes...)
}

// lastAckFrom is the newest write acknowledged by region.
func lastAckFrom(writes []write, region string) (write, bool) {
	for i := len(writes) - 1; i >= 0; i-- {
		if writes[i].acked() && writes[i].Region == region {
			return writes[i], true
		}
	}
	return write{}, false
}

// acksBetween are the writes region acknowledged in [from, to).
func acksBetween(writes []write, region string, from, to time.Time) []write {
	var out []write
	for _, w := range writes {
		if w.acked() && w.Region == region && !w.At.Before(from) && w.At.Before(to) {
			out = append(out, w)
		}
	}
	return out
}
