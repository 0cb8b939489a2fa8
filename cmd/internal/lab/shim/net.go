package shim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
)

// Environment of the network shims.
const (
	EnvDNS     = "DRLAB_DNS"      // the lab's DNS server, 127.0.0.1:PORT (UDP)
	EnvAppPort = "DRLAB_APP_PORT" // the port the stand-in load balancers listen on (443 on AWS)
)

// Net answers getent and curl from the lab's DNS server and stand-in
// endpoints: names resolve as a client's resolver resolves them there,
// HTTPS goes to the answer's address on the lab's port, in plain HTTP (the
// lab has no certificates).
type Net struct {
	DNS     string
	AppPort int
	Stdout  io.Writer
	Stderr  io.Writer
}

// NetFromEnv reads the lab's environment.
func NetFromEnv() (*Net, error) {
	dns := os.Getenv(EnvDNS)
	port, err := strconv.Atoi(os.Getenv(EnvAppPort))
	if dns == "" || err != nil {
		return nil, fmt.Errorf("%s and %s must be set: the lab's network shims run inside the lab", EnvDNS, EnvAppPort)
	}
	return &Net{DNS: dns, AppPort: port, Stdout: os.Stdout, Stderr: os.Stderr}, nil
}

// RunNet is the getent and curl modes of drlab.
func RunNet(tool string, args []string) int {
	n, err := NetFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "drlab %s: %v\n", tool, err)
		return 1
	}
	if tool == "getent" {
		return n.Getent(context.Background(), args)
	}
	return n.Curl(context.Background(), args)
}

// Getent is `getent ahostsv4 NAME`: glibc's listing of the IPv4 addresses,
// one line per socket type, the canonical name (after CNAMEs) on the
// first; exit 2 when the name does not resolve (getent(1)).
func (n *Net) Getent(ctx context.Context, args []string) int {
	if len(args) != 2 || args[0] != "ahostsv4" {
		fmt.Fprintln(n.Stderr, "drlab getent: the lab answers `getent ahostsv4 NAME` only")
		return 1
	}
	r := dnssim.NewResolver(n.DNS)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip4", args[1])
	if err != nil || len(ips) == 0 {
		return 2
	}
	canonical := args[1]
	if cn, err := r.LookupCNAME(ctx, args[1]); err == nil && cn != "" {
		canonical = strings.TrimSuffix(cn, ".")
	}
	for i, ip := range ips {
		name := ""
		if i == 0 {
			name = canonical
		}
		fmt.Fprintf(n.Stdout, "%-15s STREAM %s\n%-15s DGRAM  \n%-15s RAW    \n", ip.Unmap(), name, ip.Unmap(), ip.Unmap())
	}
	return 0
}

// curlExit is a curl failure: its exit status and message (curl(1), EXIT
// CODES).
type curlExit struct {
	code int
	msg  string
}

func (e *curlExit) Error() string { return e.msg }

// Curl is `curl [-fsS] [--max-time N] [-o FILE] [--connect-to H:P:H2:P2] URL`
// for http(s) URLs: exit 6 on a name that does not resolve, 7 when the
// connection is refused, 28 on timeout, 22 with -f on a status of 400 or
// more.
func (n *Net) Curl(ctx context.Context, args []string) int {
	err := n.curl(ctx, args)
	var ce *curlExit
	if errors.As(err, &ce) {
		fmt.Fprintln(n.Stderr, ce.msg)
		return ce.code
	}
	if err != nil {
		fmt.Fprintln(n.Stderr, "curl:", err)
		return 2
	}
	return 0
}

func (n *Net) curl(ctx context.Context, args []string) error {
	var (
		target, output, connectTo string
		fail                      bool
		maxTime                   = 5 * time.Minute
	)
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", &curlExit{2, fmt.Sprintf("curl: option %s: requires parameter", a)}
			}
			i++
			return args[i], nil
		}
		var err error
		switch {
		case a == "--max-time" || a == "-m":
			var v string
			if v, err = next(); err == nil {
				secs, perr := strconv.ParseFloat(v, 64)
				if perr != nil {
					return &curlExit{2, fmt.Sprintf("curl: option %s: expected a proper numerical parameter", a)}
				}
				maxTime = time.Duration(secs * float64(time.Second))
			}
		case a == "-o" || a == "--output":
			output, err = next()
		case a == "--connect-to":
			connectTo, err = next()
		case strings.HasPrefix(a, "--"):
			switch a {
			case "--fail", "--silent", "--show-error":
				fail = fail || a == "--fail"
			default:
				return &curlExit{2, fmt.Sprintf("curl: the lab's curl does not take %s", a)}
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for _, f := range a[1:] {
				switch f {
				case 'f':
					fail = true
				case 's', 'S', 'L':
				default:
					return &curlExit{2, fmt.Sprintf("curl: the lab's curl does not take -%c", f)}
				}
			}
		default:
			target = a
		}
		if err != nil {
			return err
		}
	}
	u, err := parseURL(target)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	start := time.Now()
	dialHost := u.host
	if connectTo != "" {
		// HOST1:PORT1:HOST2:PORT2 (curl(1), --connect-to).
		parts := strings.Split(connectTo, ":")
		if len(parts) != 4 {
			return &curlExit{49, "curl: (49) Invalid --connect-to syntax"}
		}
		if (parts[0] == "" || strings.EqualFold(parts[0], u.host)) && (parts[1] == "" || parts[1] == u.port) {
			dialHost = parts[2]
		}
	}
	ips, err := dnssim.NewResolver(n.DNS).LookupNetIP(ctx, "ip4", dialHost)
	if err != nil || len(ips) == 0 {
		if ctx.Err() != nil {
			return timeoutExit(start)
		}
		return &curlExit{6, "curl: (6) Could not resolve host: " + dialHost}
	}
	addr := netip.AddrPortFrom(ips[0].Unmap(), uint16(n.AppPort))
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr.String())
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+u.host+u.path, nil)
	if err != nil {
		return &curlExit{3, "curl: (3) URL rejected: " + err.Error()}
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return timeoutExit(start)
		}
		return &curlExit{7, fmt.Sprintf("curl: (7) Failed to connect to %s port %s after %d ms: Couldn't connect to server", u.host, u.port, time.Since(start).Milliseconds())}
	}
	defer resp.Body.Close()
	if fail && resp.StatusCode >= 400 {
		return &curlExit{22, fmt.Sprintf("curl: (22) The requested URL returned error: %d", resp.StatusCode)}
	}
	var w io.Writer = n.Stdout
	if output != "" {
		f, err := os.Create(output)
		if err != nil {
			return &curlExit{23, fmt.Sprintf("curl: (23) Failure writing output to destination: %v", err)}
		}
		defer f.Close()
		w = f
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		if ctx.Err() != nil {
			return timeoutExit(start)
		}
		return &curlExit{56, "curl: (56) Failure when receiving data from the peer"}
	}
	return nil
}

func timeoutExit(start time.Time) error {
	return &curlExit{28, fmt.Sprintf("curl: (28) Operation timed out after %d milliseconds with 0 bytes received", time.Since(start).Milliseconds())}
}

type curlURL struct{ host, port, path string }

func parseURL(s string) (curlURL, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (scheme != "https" && scheme != "http") {
		return curlURL{}, &curlExit{1, fmt.Sprintf("curl: (1) Protocol %q not supported or disabled in libcurl", scheme)}
	}
	hostport, path, _ := strings.Cut(rest, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, "443"
		if scheme == "http" {
			port = "80"
		}
	}
	if host == "" {
		return curlURL{}, &curlExit{3, "curl: (3) URL rejected: No host part in the URL"}
	}
	return curlURL{host: host, port: port, path: "/" + path}, nil
}
