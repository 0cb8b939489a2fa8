// Package dnssim serves the lab's DNS over UDP: the answers come from a
// Zone, which the lab cloud implements from its Route 53 state (the hosted
// zones, failover records and health checks created by `pulumi up`), and
// clients resolve through it with resolvers that model real clients (one
// that honours the TTL, one that does not cache).
//
// The server answers as an authoritative server that also follows CNAMEs to
// the load balancers' names (as a recursive resolver in front of Route 53
// would): a query for the app host gets the failover CNAME and the target's
// A record.
package dnssim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/net/dns/dnsmessage"
)

// Record is one resource record of an answer: an A record (A set) or a
// CNAME (Target set).
type Record struct {
	Name   string // fully qualified, lower case, trailing dot
	TTL    uint32 // seconds, at least 1
	A      netip.Addr
	Target string // CNAME target, fully qualified
}

// Answer is a zone's reply to a question.
type Answer struct {
	RCode   dnsmessage.RCode
	Records []Record
}

// Zone answers questions. Name is fully qualified and lower case.
type Zone interface {
	Answer(name string, qtype dnsmessage.Type) Answer
}

// Server is a running DNS server. Close stops it.
type Server struct {
	zone Zone
	conn *net.UDPConn
	wg   sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Serve binds listen (host:port, port 0 for any) and answers from zone.
func Serve(zone Zone, listen string) (*Server, error) {
	uaddr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("dnssim: resolve listen address %q: %w", listen, err)
	}
	conn, err := net.ListenUDP("udp", uaddr)
	if err != nil {
		return nil, fmt.Errorf("dnssim: listen on %q: %w", listen, err)
	}
	s := &Server{zone: zone, conn: conn}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr returns the UDP address the server is bound to.
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

// Close stops the server and waits for it. Later calls return the first
// call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if err := s.conn.Close(); err != nil {
			s.closeErr = fmt.Errorf("dnssim: close DNS socket: %w", err)
		}
		s.wg.Wait()
	})
	return s.closeErr
}

func (s *Server) serve() {
	defer s.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, peer, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient read errors (e.g. ICMP-induced) must not kill the
			// server for the rest of the drill.
			continue
		}
		resp, ok := s.respond(buf[:n])
		if !ok {
			continue
		}
		// A lost reply is a DNS timeout for that client, which a real
		// resolver would also experience.
		_, _ = s.conn.WriteToUDPAddrPort(resp, peer)
	}
}

// respond builds the reply to one query; ok is false for a packet not
// worth answering (unparseable header, or itself a response).
func (s *Server) respond(pkt []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(pkt)
	if err != nil || h.Response {
		return nil, false
	}
	out := dnsmessage.Header{
		ID:                 h.ID,
		Response:           true,
		OpCode:             h.OpCode,
		Authoritative:      true,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true,
	}
	q, err := p.Question()
	if err != nil || h.OpCode != 0 {
		out.RCode = dnsmessage.RCodeFormatError
		if h.OpCode != 0 {
			out.RCode = dnsmessage.RCodeNotImplemented
		}
		return build(out, nil, nil)
	}
	if q.Class != dnsmessage.ClassINET {
		out.RCode = dnsmessage.RCodeNameError
		return build(out, &q, nil)
	}
	ans := s.zone.Answer(CanonicalName(q.Name.String()), q.Type)
	out.RCode = ans.RCode
	return build(out, &q, ans.Records)
}

// build serialises a reply echoing q (resolvers such as Go's reject replies
// whose question does not match theirs).
func build(h dnsmessage.Header, q *dnsmessage.Question, records []Record) ([]byte, bool) {
	b := dnsmessage.NewBuilder(nil, h)
	b.EnableCompression()
	if q != nil {
		if b.StartQuestions() != nil || b.Question(*q) != nil {
			return nil, false
		}
	}
	if b.StartAnswers() != nil {
		return nil, false
	}
	for _, r := range records {
		name, err := dnsmessage.NewName(r.Name)
		if err != nil {
			return nil, false
		}
		rh := dnsmessage.ResourceHeader{Name: name, Class: dnsmessage.ClassINET, TTL: max(r.TTL, 1)}
		if r.Target != "" {
			target, err := dnsmessage.NewName(r.Target)
			if err != nil || b.CNAMEResource(rh, dnsmessage.CNAMEResource{CNAME: target}) != nil {
				return nil, false
			}
			continue
		}
		if !r.A.Is4() || b.AResource(rh, dnsmessage.AResource{A: r.A.As4()}) != nil {
			return nil, false
		}
	}
	msg, err := b.Finish()
	return msg, err == nil
}

// CanonicalName lower-cases host and makes it fully qualified, so names
// compare regardless of case and trailing dot.
func CanonicalName(host string) string {
	return strings.ToLower(strings.TrimSuffix(host, ".")) + "."
}
