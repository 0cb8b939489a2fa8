package gameday

import (
	"sort"
	"time"
)

// IntervalStats summarises the gaps between consecutive samples. The p99 and
// maximum gaps bound how late the tool can notice a change, i.e. its
// measurement resolution.
type IntervalStats struct {
	Samples int
	Median  time.Duration
	P99     time.Duration
	Max     time.Duration
}

// Intervals computes gap statistics over timestamps (sorted internally).
func Intervals(times []time.Time) IntervalStats {
	if len(times) < 2 {
		return IntervalStats{Samples: len(times)}
	}
	sorted := append([]time.Time(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	gaps := make([]time.Duration, 0, len(sorted)-1)
	for i := 1; i < len(sorted); i++ {
		gaps = append(gaps, sorted[i].Sub(sorted[i-1]))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return IntervalStats{
		Samples: len(times),
		Median:  percentile(gaps, 0.50),
		P99:     percentile(gaps, 0.99),
		Max:     gaps[len(gaps)-1],
	}
}

// percentile uses the nearest-rank method on sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted))+0.5) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}
