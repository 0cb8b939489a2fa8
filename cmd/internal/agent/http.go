package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Handler serves /status (JSON), /metrics (Prometheus text) and /healthz.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", a.serveStatus)
	mux.HandleFunc("GET /metrics", a.serveMetrics)
	mux.HandleFunc("GET /healthz", a.serveHealth)
	return mux
}

func (a *Agent) serveStatus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(a.Status())
}

// serveHealth answers 200 while the heartbeat loop turns, whatever the
// database's state: an unreachable database is reported in /status and by
// the missing metric, not by restarting the pod (which would not help) or
// by taking it out of the Service (the runbook reads /status through it).
func (a *Agent) serveHealth(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	last := a.lastLoop
	a.mu.Unlock()
	// A tick lasts at most the connect timeout or the statement timeout.
	limit := 3*a.cfg.Interval + connectTimeout + max(2*a.cfg.Interval, minOpTimeout)
	if since := time.Since(last); last.IsZero() || since > limit {
		http.Error(w, fmt.Sprintf("heartbeat loop stalled: last turn %v ago", since.Round(time.Millisecond)), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// serveMetrics writes the Prometheus text exposition format 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
// The delay sample is absent, not zero, when there is no delay to report.
func (a *Agent) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	st := a.Status()
	stats := a.Stats()
	var b strings.Builder
	family := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	family("taskflow_dr_replication_delay_seconds", "gauge", "Now minus the newest replayed heartbeat's time, on a replica.")
	if st.DelaySeconds != nil {
		fmt.Fprintf(&b, "taskflow_dr_replication_delay_seconds %s\n", number(*st.DelaySeconds))
	}
	family("taskflow_dr_heartbeat_newest_sequence", "gauge", "Sequence of the newest heartbeat written (writer) or replayed (replica).")
	if st.NewestSeq != nil {
		fmt.Fprintf(&b, "taskflow_dr_heartbeat_newest_sequence %d\n", *st.NewestSeq)
	}
	family("taskflow_dr_role", "gauge", "The database's role as the agent last saw it (1 for the current role).")
	for _, r := range []Role{RoleWriter, RoleReplica, RoleUnknown} {
		v := 0
		if st.Role == r {
			v = 1
		}
		fmt.Fprintf(&b, "taskflow_dr_role{role=%q} %d\n", r, v)
	}
	family("taskflow_dr_agent_statements_total", "counter", "Database statements the agent ran, by kind.")
	ops := make([]string, 0, len(stats))
	for op := range stats {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		fmt.Fprintf(&b, "taskflow_dr_agent_statements_total{statement=%q} %d\n", op, stats[op].Count)
	}
	family("taskflow_dr_agent_statement_errors_total", "counter", "Database statements that failed, by kind.")
	for _, op := range ops {
		fmt.Fprintf(&b, "taskflow_dr_agent_statement_errors_total{statement=%q} %d\n", op, stats[op].Errors)
	}
	family("taskflow_dr_agent_statement_seconds_total", "counter", "Time spent in database statements, by kind.")
	for _, op := range ops {
		fmt.Fprintf(&b, "taskflow_dr_agent_statement_seconds_total{statement=%q} %s\n", op, number(stats[op].Total.Seconds()))
	}
	family("taskflow_dr_agent_cloudwatch_pending", "gauge", "Data points waiting to be published, by region.")
	for _, p := range []*publisher{a.own, a.peer} {
		if p != nil {
			_, pending, _, _ := p.state()
			fmt.Fprintf(&b, "taskflow_dr_agent_cloudwatch_pending{region=%q} %d\n", p.region, pending)
		}
	}
	family("taskflow_dr_agent_cloudwatch_dropped_total", "counter", "Data points dropped because the backlog was full, by region.")
	for _, p := range []*publisher{a.own, a.peer} {
		if p != nil {
			_, _, dropped, _ := p.state()
			fmt.Fprintf(&b, "taskflow_dr_agent_cloudwatch_dropped_total{region=%q} %d\n", p.region, dropped)
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func number(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
