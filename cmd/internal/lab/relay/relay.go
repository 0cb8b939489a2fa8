// Package relay is the lab's cross-region link: a TCP relay that holds every
// chunk for a delay in each direction, and that can be cut.
//
// The standby replicates the primary through it, so the WAL stream arrives
// as late as cross-region replication lag makes it: on loopback replication
// is near-instant and a crash would lose nothing, which would make the lab's
// RPO measurement meaningless. Tests that measure replication delay (the DR
// agent's) change the delay while the relay runs and cut the link.
package relay

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Relay forwards TCP connections to a target, each chunk delivered Delay
// after it was read, in order. Safe for concurrent use.
type Relay struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	delay  time.Duration
	cut    bool
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on a free loopback port and relays to target ("host:port")
// with the given one-way delay.
func Start(target string, delay time.Duration) (*Relay, error) {
	if delay < 0 {
		return nil, fmt.Errorf("relay: negative delay %v", delay)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	r := &Relay{ln: ln, target: target, delay: delay, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is where the replica connects instead of the primary.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Delay is the current one-way delay.
func (r *Relay) Delay() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delay
}

// SetDelay changes the one-way delay of chunks read from now on. Chunks
// already in flight keep their due time, and order is kept, so lowering the
// delay lets the link drain over one old delay rather than reorder.
func (r *Relay) SetDelay(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("relay: negative delay %v", d)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay = d
	return nil
}

// Cut breaks the link: every connection is closed, dropping what is in
// flight, and new ones are refused (accepted and closed at once) until Heal.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = true
	r.closeConnsLocked()
}

// Heal lets new connections through again after Cut.
func (r *Relay) Heal() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = false
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		if r.isCut() {
			in.Close()
			continue
		}
		out, err := net.DialTimeout("tcp", r.target, 2*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		if !r.track(in, out) {
			continue
		}
		r.wg.Add(2)
		go r.pipe(out, in)
		go r.pipe(in, out)
	}
}

func (r *Relay) isCut() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cut
}

// track registers a connection pair; it closes them instead when the relay
// is closed or cut meanwhile.
func (r *Relay) track(conns ...net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.cut {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		r.conns[c] = struct{}{}
	}
	return true
}

func (r *Relay) untrack(conns ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range conns {
		delete(r.conns, c)
	}
}

func (r *Relay) closeConnsLocked() {
	for c := range r.conns {
		c.Close()
	}
	clear(r.conns)
}

// chunk is data read at a moment, due for delivery delay later.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each chunk delivered the then-current delay after
// it was read. Order is kept; a broken side closes both.
func (r *Relay) pipe(dst, src net.Conn) {
	defer r.wg.Done()
	defer r.untrack(src, dst)
	queue := make(chan chunk, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range queue {
			time.Sleep(time.Until(c.due))
			if _, err := dst.Write(c.data); err != nil {
				dst.Close()
				src.Close()
				for range queue { // drain so the reader never blocks
				}
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			queue <- chunk{data: append([]byte(nil), buf[:n]...), due: time.Now().Add(r.Delay())}
		}
		if err != nil {
			close(queue)
			<-done
			if errors.Is(err, io.EOF) {
				if tcp, ok := dst.(*net.TCPConn); ok {
					_ = tcp.CloseWrite()
				}
			} else {
				dst.Close()
			}
			return
		}
	}
}

// Close stops accepting, cuts every connection (dropping what is in flight)
// and waits for the copies. Closing twice is a no-op.
func (r *Relay) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.closeConnsLocked()
	r.mu.Unlock()
	err := r.ln.Close()
	r.wg.Wait()
	return err
}
