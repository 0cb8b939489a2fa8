package gameday

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"time"
)

// Budget is the RTO budget the stack exports as `rtoBudget`
// (runbooks/dr-design.md §3): the terms of the recovery, each a duration from the
// cut, and the moments they predict. The chart draws its phases beside the
// measured ones.
type Budget struct {
	Detection         time.Duration // Route 53: request interval × failure threshold
	DNSTTL            time.Duration // resolvers may keep the old answer this long
	Declaration       time.Duration // someone is paged and decides, after detection
	Promotion         time.Duration // replica promotion, from the declaration
	AppRecovery       time.Duration // the app serves writes after the promotion
	ScaleUp           time.Duration // standby node group to failover capacity, from the declaration
	MultiAZConversion time.Duration // promoted writer to Multi-AZ, after the promotion; 0 when not on the path
}

// budgetTerms maps the output's keys to the budget's terms. Required keys
// are those the budget has always exported; the terms issue 14 adds are
// optional so an older stack's output still charts (as zero).
var budgetTerms = []struct {
	key      string
	required bool
	field    func(*Budget) *time.Duration
}{
	{"detectionSeconds", true, func(b *Budget) *time.Duration { return &b.Detection }},
	{"dnsTtlSeconds", true, func(b *Budget) *time.Duration { return &b.DNSTTL }},
	{"declarationSeconds", false, func(b *Budget) *time.Duration { return &b.Declaration }},
	{"promotionSeconds", true, func(b *Budget) *time.Duration { return &b.Promotion }},
	{"appRecoverySeconds", true, func(b *Budget) *time.Duration { return &b.AppRecovery }},
	{"scaleUpSeconds", false, func(b *Budget) *time.Duration { return &b.ScaleUp }},
	{"multiAzConversionSeconds", false, func(b *Budget) *time.Duration { return &b.MultiAZConversion }},
}

// ReadBudgetFile reads the budget from `pulumi stack output rtoBudget
// --json` (or the whole `pulumi stack output --json`).
func ReadBudgetFile(path string) (Budget, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Budget{}, fmt.Errorf("read budget: %w", err)
	}
	b, err := ParseBudget(data)
	if err != nil {
		return Budget{}, fmt.Errorf("budget %s: %w", path, err)
	}
	return b, nil
}

// ParseBudget decodes the `rtoBudget` output: the object itself, or a
// stack's outputs that hold it under "rtoBudget".
func ParseBudget(data []byte) (Budget, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return Budget{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if inner, ok := doc["rtoBudget"]; ok {
		if err := json.Unmarshal(inner, &doc); err != nil {
			return Budget{}, fmt.Errorf("rtoBudget is not a JSON object: %w", err)
		}
	}
	seconds := make(map[string]float64, len(doc))
	var errs []error
	for key, raw := range doc {
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			if isBudgetKey(key) {
				errs = append(errs, fmt.Errorf("%s is %s, not a number of seconds", key, raw))
			}
			continue
		}
		seconds[key] = v
	}
	if len(errs) > 0 {
		return Budget{}, errors.Join(errs...)
	}
	return budgetFromSeconds(seconds)
}

// isBudgetKey: keys the chart reads. Others (objectives, totals) are the
// program's business.
func isBudgetKey(key string) bool {
	for _, term := range budgetTerms {
		if term.key == key {
			return true
		}
	}
	return key == "writesAcceptedSeconds" || key == "fullCapacitySeconds"
}

// BudgetFromSeconds builds the budget from the output's map, as the
// program's config computes it (config.RTOBudget().Seconds()).
func BudgetFromSeconds(m map[string]int) (Budget, error) {
	seconds := make(map[string]float64, len(m))
	for k, v := range m {
		seconds[k] = float64(v)
	}
	return budgetFromSeconds(seconds)
}

// budgetFromSeconds checks every term is a whole, non-negative number of
// seconds (§5: integer seconds), and that the moments the output states
// agree with §5's arithmetic on its own terms: a mismatch means the chart
// would draw a different model from the one the stack validated.
func budgetFromSeconds(seconds map[string]float64) (Budget, error) {
	var (
		b    Budget
		errs []error
	)
	for _, term := range budgetTerms {
		v, ok := seconds[term.key]
		switch {
		case !ok && term.required:
			errs = append(errs, fmt.Errorf("%s is missing", term.key))
		case !ok:
		case v < 0 || v != math.Trunc(v):
			errs = append(errs, fmt.Errorf("%s is %v, not a whole non-negative number of seconds", term.key, v))
		default:
			*term.field(&b) = time.Duration(v) * time.Second
		}
	}
	if len(errs) > 0 {
		return Budget{}, errors.Join(errs...)
	}
	for _, stated := range []struct {
		key  string
		want time.Duration
	}{
		{"writesAcceptedSeconds", b.WritesAccepted()},
		{"fullCapacitySeconds", b.FullCapacity()},
	} {
		if v, ok := seconds[stated.key]; ok && time.Duration(v)*time.Second != stated.want {
			errs = append(errs, fmt.Errorf("%s is %v but its terms give %v (runbooks/dr-design.md §3)", stated.key, v, stated.want.Seconds()))
		}
	}
	if len(errs) > 0 {
		return Budget{}, errors.Join(errs...)
	}
	return b, nil
}

// Scaled divides every term by divisor, for the lab, whose timings are the
// shipped ones divided by its scale factor.
func (b Budget) Scaled(divisor int) Budget {
	if divisor <= 1 {
		return b
	}
	d := time.Duration(divisor)
	return Budget{
		Detection: b.Detection / d, DNSTTL: b.DNSTTL / d, Declaration: b.Declaration / d,
		Promotion: b.Promotion / d, AppRecovery: b.AppRecovery / d, ScaleUp: b.ScaleUp / d,
		MultiAZConversion: b.MultiAZConversion / d,
	}
}

// Declared is when the failover is declared: detection, then a person.
func (b Budget) Declared() time.Duration { return b.Detection + b.Declaration }

// WritesAccepted is when clients write again: DNS has moved (detection and
// TTL) and the promoted database serves the app, whichever is later.
func (b Budget) WritesAccepted() time.Duration {
	return max(b.Detection+b.DNSTTL, b.Declared()+b.Promotion+b.AppRecovery)
}

// FullCapacity adds the scale-up and the Multi-AZ conversion, which run in
// parallel with the promotion from the declaration.
func (b Budget) FullCapacity() time.Duration {
	return max(b.WritesAccepted(), b.Declared()+b.ScaleUp, b.Declared()+b.Promotion+b.MultiAZConversion)
}

// Bands are the budget's phases on the chart's axis, from the cut.
// Zero-length terms are left out: they are not on this model's path.
func (b Budget) Bands(cut time.Time) []Band {
	at := func(d time.Duration) time.Time { return cut.Add(d) }
	declared := b.Declared()
	promoted := declared + b.Promotion
	var bands []Band
	for _, band := range []Band{
		{Phase: PhaseDetection, Start: at(0), End: at(b.Detection)},
		{Phase: PhaseDNS, Start: at(b.Detection), End: at(b.Detection + b.DNSTTL)},
		{Phase: PhaseDeclaration, Start: at(b.Detection), End: at(declared)},
		{Phase: PhasePromotion, Start: at(declared), End: at(promoted)},
		{Phase: PhaseAppRecovery, Start: at(promoted), End: at(promoted + b.AppRecovery)},
		{Phase: PhaseScaleUp, Start: at(declared), End: at(declared + b.ScaleUp)},
		{Phase: PhaseMultiAZ, Start: at(promoted), End: at(promoted + b.MultiAZConversion)},
	} {
		if band.End.After(band.Start) {
			band.Source = "RTO budget"
			bands = append(bands, band)
		}
	}
	return bands
}
