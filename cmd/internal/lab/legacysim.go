package lab

// legacySim is the old rehearsal's Route 53 simulator, kept only for
// rehearse.go and pulumi.go, which the lead replaces with the rehearsal on
// package labenv (where Route 53 is the lab cloud's, driven by the real
// program's health checks and records). Delete it with them.
import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Event kinds recorded by a Sim.
const (
	KindEndpointUnhealthy = "endpoint-unhealthy"
	KindEndpointHealthy   = "endpoint-healthy"
	KindGateThreshold     = "gate-threshold"
	KindServingStandby    = "serving-standby"
	KindServingPrimary    = "serving-primary"
)

// maxCheckTimeout caps a single health check the way Route 53 does: a
// target that does not answer within two seconds has failed that check.
const maxCheckTimeout = 2 * time.Second

// legacySimConfig describes the failover record pair and the primary's health check.
type legacySimConfig struct {
	Host             string        // the app host, e.g. "app.taskflow.example.com"
	PrimaryIP        netip.Addr    // answer while the PRIMARY is healthy, e.g. 127.0.0.11
	StandbyIP        netip.Addr    // the SECONDARY (has no health check), e.g. 127.0.0.12
	CheckURL         string        // the primary's health URL, e.g. "http://127.0.0.11:18080/healthz"
	Interval         time.Duration // request interval (already scaled by the lab)
	FailureThreshold int           // consecutive failures to become unhealthy (and successes to recover), 1-10
	TTL              time.Duration // TTL in answers (already scaled; round to whole seconds, min 1)
}

func (c legacySimConfig) validate() error {
	switch {
	case strings.TrimSuffix(c.Host, ".") == "":
		return errors.New("host is empty")
	case !c.PrimaryIP.Is4() || !c.StandbyIP.Is4():
		// The records are A records, so both answers must be IPv4.
		return fmt.Errorf("primary %v and standby %v must both be IPv4", c.PrimaryIP, c.StandbyIP)
	case c.CheckURL == "":
		return errors.New("check URL is empty")
	case c.Interval <= 0:
		return fmt.Errorf("interval %v must be positive", c.Interval)
	case c.FailureThreshold < 1 || c.FailureThreshold > 10:
		return fmt.Errorf("failure threshold %d outside Route 53's 1-10", c.FailureThreshold)
	}
	return nil
}

// ttlSeconds rounds the configured TTL to whole seconds, at least one,
// because DNS TTLs are integral seconds and a zero TTL would defeat the
// point of modelling client caching.
func (c legacySimConfig) ttlSeconds() uint32 {
	return uint32(max(1, c.TTL.Round(time.Second)/time.Second))
}

// legacyEvent is one state change of the simulator.
type legacyEvent struct {
	At     time.Time
	Kind   string
	Detail string
}

// legacySim is a running simulator. All methods are safe for concurrent use.
type legacySim struct {
	cfg    legacySimConfig
	ttl    uint32
	name   string // canonical lower-case host with trailing dot
	conn   *net.UDPConn
	client *http.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	mu            sync.Mutex
	healthy       bool // endpoint health as Route 53 currently reports it
	streak        int  // consecutive check results contradicting healthy
	threshold     int
	servedPrimary bool
	events        []legacyEvent
}

// startLegacySim validates cfg, binds the UDP DNS socket on listen and starts the
// DNS server and health checker goroutines.
func startLegacySim(cfg legacySimConfig, listen string) (*legacySim, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("dnssim: invalid config: %w", err)
	}
	uaddr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("dnssim: resolve listen address %q: %w", listen, err)
	}
	conn, err := net.ListenUDP("udp", uaddr)
	if err != nil {
		return nil, fmt.Errorf("dnssim: listen on %q: %w", listen, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &legacySim{
		cfg:  cfg,
		ttl:  cfg.ttlSeconds(),
		name: legacyCanonicalName(cfg.Host),
		conn: conn,
		client: &http.Client{
			Timeout: min(cfg.Interval, maxCheckTimeout),
			// Route 53 opens a new connection per check, so a stale pooled
			// connection must not hide (or cause) a failure; it also does
			// not follow redirects: a 3xx is itself a success.
			Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		cancel: cancel,
		// Route 53 considers a new health check healthy until proven
		// otherwise, and the gate starts at its normal threshold.
		healthy:       true,
		threshold:     1,
		servedPrimary: true,
	}
	s.wg.Add(2)
	go s.serveDNS()
	go s.runChecker(ctx)
	return s, nil
}

// Addr returns the UDP address the DNS server is bound to.
func (s *legacySim) Addr() string { return s.conn.LocalAddr().String() }

// Close stops the checker and the DNS server and waits for both goroutines.
// It is idempotent; later calls return the first call's result.
func (s *legacySim) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		if err := s.conn.Close(); err != nil {
			s.closeErr = fmt.Errorf("dnssim: close DNS socket: %w", err)
		}
		s.wg.Wait()
	})
	return s.closeErr
}

// SetGateThreshold sets the CALCULATED gate's threshold: 1 serves the
// primary while its endpoint is healthy, 2 fences it unconditionally.
func (s *legacySim) SetGateThreshold(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == s.threshold {
		return
	}
	s.record(KindGateThreshold, fmt.Sprintf("threshold %d -> %d", s.threshold, n))
	s.threshold = n
	s.updateServedLocked()
}

// GateThreshold returns the gate's current threshold.
func (s *legacySim) GateThreshold() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.threshold
}

// EndpointHealthy reports the primary endpoint check's current status.
func (s *legacySim) EndpointHealthy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.healthy
}

// PrimaryServed reports whether the gate is healthy, i.e. whether A queries
// get the primary.
func (s *legacySim) PrimaryServed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.servedPrimary
}

// Answer returns the address an A query for the host gets now.
func (s *legacySim) Answer() netip.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answerLocked()
}

// Events returns a copy of the recorded events, oldest first.
func (s *legacySim) Events() []legacyEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]legacyEvent(nil), s.events...)
}

func (s *legacySim) answerLocked() netip.Addr {
	if s.servedPrimary {
		return s.cfg.PrimaryIP
	}
	return s.cfg.StandbyIP
}

// record appends an event; s.mu must be held so events stay in time order.
func (s *legacySim) record(kind, detail string) {
	s.events = append(s.events, legacyEvent{At: time.Now(), Kind: kind, Detail: detail})
}

// updateServedLocked re-evaluates the gate after an input changed and
// records a serving event only when the answer actually flips.
func (s *legacySim) updateServedLocked() {
	children := 0
	if s.healthy {
		children = 1
	}
	primary := children >= s.threshold
	if primary == s.servedPrimary {
		return
	}
	s.servedPrimary = primary
	kind := KindServingStandby
	if primary {
		kind = KindServingPrimary
	}
	s.record(kind, fmt.Sprintf("%s A %v (endpoint healthy=%t, threshold %d)",
		s.cfg.Host, s.answerLocked(), s.healthy, s.threshold))
}

// runChecker polls CheckURL every Interval until ctx is cancelled.
func (s *legacySim) runChecker(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := s.check(ctx)
		if ctx.Err() != nil {
			// A check cut short by Close says nothing about the endpoint.
			return
		}
		s.observe(err)
	}
}

// check performs one health check; nil means success.
func (s *legacySim) check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.CheckURL, nil)
	if err != nil {
		return fmt.Errorf("build health check request: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("health check %s: %w", s.cfg.CheckURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("health check %s: status %s", s.cfg.CheckURL, resp.Status)
	}
	return nil
}

// observe applies Route 53's counting: FailureThreshold consecutive results
// contradicting the current status flip it; any agreeing result resets the
// streak.
func (s *legacySim) observe(checkErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if (checkErr == nil) == s.healthy {
		s.streak = 0
		return
	}
	s.streak++
	if s.streak < s.cfg.FailureThreshold {
		return
	}
	s.streak = 0
	s.healthy = !s.healthy
	if s.healthy {
		s.record(KindEndpointHealthy, fmt.Sprintf("%d consecutive successes", s.cfg.FailureThreshold))
	} else {
		s.record(KindEndpointUnhealthy, fmt.Sprintf("%d consecutive failures, last: %v", s.cfg.FailureThreshold, checkErr))
	}
	s.updateServedLocked()
}

// serveDNS answers queries until the socket is closed.
func (s *legacySim) serveDNS() {
	defer s.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, peer, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient read errors (e.g. ICMP-induced) must not kill
			// the server for the rest of the drill.
			continue
		}
		resp, ok := s.respond(buf[:n])
		if !ok {
			continue
		}
		// A lost reply is just a DNS timeout for that client, which is
		// what a real resolver would experience too.
		_, _ = s.conn.WriteToUDPAddrPort(resp, peer)
	}
}

// respond builds the reply to one query; ok is false when the packet is not
// a query worth answering (unparseable header or itself a response).
func (s *legacySim) respond(pkt []byte) (resp []byte, ok bool) {
	var p dnsmessage.Parser
	h, err := p.Start(pkt)
	if err != nil || h.Response {
		return nil, false
	}
	out := dnsmessage.Header{
		ID:               h.ID,
		Response:         true,
		OpCode:           h.OpCode,
		Authoritative:    true,
		RecursionDesired: h.RecursionDesired,
	}
	q, err := p.Question()
	if err != nil || h.OpCode != 0 {
		out.RCode = dnsmessage.RCodeFormatError
		if h.OpCode != 0 {
			out.RCode = dnsmessage.RCodeNotImplemented
		}
		return legacyBuildMessage(out, nil, nil, 0)
	}

	var answers []dnsmessage.AResource
	switch {
	case !strings.EqualFold(q.Name.String(), s.name) || q.Class != dnsmessage.ClassINET:
		out.RCode = dnsmessage.RCodeNameError
	case q.Type == dnsmessage.TypeA:
		answers = append(answers, dnsmessage.AResource{A: s.Answer().As4()})
	default:
		// The name exists, so other types (AAAA included) get NOERROR with
		// no data: NXDOMAIN would tell caches the A record is gone too.
	}
	return legacyBuildMessage(out, &q, answers, s.ttl)
}

// legacyBuildMessage serialises a reply echoing q (resolvers such as Go's reject
// replies whose question does not match theirs) with answers for q.Name.
func legacyBuildMessage(h dnsmessage.Header, q *dnsmessage.Question, answers []dnsmessage.AResource, ttl uint32) ([]byte, bool) {
	b := dnsmessage.NewBuilder(nil, h)
	b.EnableCompression()
	if q != nil {
		if err := b.StartQuestions(); err != nil {
			return nil, false
		}
		if err := b.Question(*q); err != nil {
			return nil, false
		}
	}
	if err := b.StartAnswers(); err != nil {
		return nil, false
	}
	for _, a := range answers {
		rh := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: ttl}
		if err := b.AResource(rh, a); err != nil {
			return nil, false
		}
	}
	msg, err := b.Finish()
	return msg, err == nil
}

// legacyCanonicalName lower-cases host and makes it fully qualified so names can
// be compared regardless of case and trailing dot.
func legacyCanonicalName(host string) string {
	return strings.ToLower(strings.TrimSuffix(host, ".")) + "."
}
