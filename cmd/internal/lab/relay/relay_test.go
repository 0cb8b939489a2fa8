package relay

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echoServer answers each line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if _, err := c.Write(append(sc.Bytes(), '\n')); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends one line through conn and returns how long the echo took.
func roundTrip(t *testing.T, conn net.Conn, r *bufio.Reader) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	line, err := r.ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo = %q, %v", line, err)
	}
	return time.Since(start)
}

func TestDelayEachWayAndSetDelay(t *testing.T) {
	r, err := Start(echoServer(t), 60*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	conn, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)

	// Held once each way: a round trip takes at least twice the delay.
	if rtt := roundTrip(t, conn, br); rtt < 120*time.Millisecond {
		t.Errorf("round trip %v with a 60ms delay, want ≥ 120ms", rtt)
	}
	if err := r.SetDelay(5 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if rtt := roundTrip(t, conn, br); rtt >= 120*time.Millisecond {
		t.Errorf("round trip %v after lowering the delay to 5ms", rtt)
	}
	if err := r.SetDelay(-time.Second); err == nil {
		t.Error("SetDelay accepted a negative delay")
	}
	if _, err := Start("127.0.0.1:1", -time.Second); err == nil {
		t.Error("Start accepted a negative delay")
	}
}

func TestCutDropsAndRefusesUntilHeal(t *testing.T) {
	r, err := Start(echoServer(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	conn, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	roundTrip(t, conn, bufio.NewReader(conn))

	r.Cut()
	if err := conn.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("an established connection survived the cut")
	}
	refused, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	if err := refused.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := refused.Read(make([]byte, 1)); err == nil {
		t.Error("a new connection got through the cut link")
	}

	r.Heal()
	healed, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer healed.Close()
	roundTrip(t, healed, bufio.NewReader(healed))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
