package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// An RDS endpoint's address stays the same for an identifier: replacing
// the instance under the same identifier, or promoting it, keeps the name
// clients connect to
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Endpoint.html).
// The lab's PostgreSQL clusters get a new port each time they are built,
// so each identifier gets a stable local endpoint that forwards to
// whichever cluster backs it now; with none (being created, deleted, or
// its region cut) connections are refused.

type dbEndpoint struct {
	ln     net.Listener
	region string
	id     string
}

// endpointFor returns the stable local address of an identifier, starting
// its forwarder the first time.
func (c *Cloud) endpointFor(region, id string) (string, error) {
	key := region + "/" + strings.ToLower(id)
	c.epMu.Lock()
	defer c.epMu.Unlock()
	if ep, ok := c.endpoints[key]; ok {
		return ep.ln.Addr().String(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("cloud: endpoint of %s in %s: %w", id, region, err)
	}
	ep := &dbEndpoint{ln: ln, region: region, id: strings.ToLower(id)}
	c.endpoints[key] = ep
	c.background(func(ctx context.Context) { c.forward(ctx, ep) })
	return ln.Addr().String(), nil
}

// backendLocked is the cluster currently behind an identifier; c.mu held.
func (c *Cloud) backendLocked(region, id string) string {
	r, ok := c.regions[region]
	if !ok {
		return ""
	}
	db, ok := r.rds.instances[id]
	if !ok || db.data == nil || db.deleted {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", db.data.Port)
}

func (c *Cloud) forward(ctx context.Context, ep *dbEndpoint) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	stop := context.AfterFunc(ctx, func() {
		ep.ln.Close()
		mu.Lock()
		for conn := range conns {
			conn.Close()
		}
		mu.Unlock()
	})
	defer stop()
	for {
		in, err := ep.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				wg.Wait()
				return
			}
			continue
		}
		c.mu.Lock()
		backend := c.backendLocked(ep.region, ep.id)
		c.mu.Unlock()
		if backend == "" {
			in.Close()
			continue
		}
		out, err := net.DialTimeout("tcp", backend, 2*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		mu.Lock()
		conns[in], conns[out] = true, true
		mu.Unlock()
		wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer wg.Done()
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
			mu.Lock()
			delete(conns, dst)
			delete(conns, src)
			mu.Unlock()
		}
		go pipe(out, in)
		go pipe(in, out)
	}
}
