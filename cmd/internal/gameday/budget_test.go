package gameday

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// budgetJSON is a §5 output: declared 150, writes accepted
// max(30+60, 150+300+30) = 480, full capacity max(480, 150+240, 150+300+0) = 480.
const budgetJSON = `{"detectionSeconds":30,"dnsTtlSeconds":60,"declarationSeconds":120,"promotionSeconds":300,
"appRecoverySeconds":30,"scaleUpSeconds":240,"multiAzConversionSeconds":0,"writesAcceptedSeconds":480,
"fullCapacitySeconds":480,"objectiveSeconds":900,"fullCapacityObjectiveSeconds":1200,"totalSeconds":480}`

func TestParseBudgetFollowsContract(t *testing.T) {
	b, err := ParseBudget([]byte(budgetJSON))
	require.NoError(t, err)
	assert.Equal(t, shippedBudget(), b)
	assert.Equal(t, 150*time.Second, b.Declared())
	assert.Equal(t, 480*time.Second, b.WritesAccepted())
	assert.Equal(t, 480*time.Second, b.FullCapacity())

	// The whole `pulumi stack output --json` works too.
	whole, err := ParseBudget([]byte(`{"region":"eu-central-1","rtoBudget":` + budgetJSON + `}`))
	require.NoError(t, err)
	assert.Equal(t, b, whole)

	// Today's output, without the terms issue 14 adds, still parses.
	old, err := ParseBudget([]byte(`{"detectionSeconds":30,"dnsTtlSeconds":60,"promotionSeconds":300,"appRecoverySeconds":180,"totalSeconds":570,"objectiveSeconds":900}`))
	require.NoError(t, err)
	assert.Equal(t, 510*time.Second, old.WritesAccepted(), "max(30+60, 30+300+180)")
}

func TestBudgetCriticalPath(t *testing.T) {
	b := shippedBudget()
	b.ScaleUp = 600 * time.Second
	assert.Equal(t, 750*time.Second, b.FullCapacity(), "the scale-up is the critical path: 150+600")
	b.MultiAZConversion = 700 * time.Second
	assert.Equal(t, 1150*time.Second, b.FullCapacity(), "the conversion follows the promotion: 150+300+700")
	b = Budget{Detection: 30 * time.Second, DNSTTL: 600 * time.Second, Promotion: time.Second}
	assert.Equal(t, 630*time.Second, b.WritesAccepted(), "DNS can be the critical path")
}

func TestParseBudgetRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":            `detectionSeconds=30`,
		"missing a term":      `{"dnsTtlSeconds":60,"promotionSeconds":300,"appRecoverySeconds":30}`,
		"negative":            `{"detectionSeconds":-1,"dnsTtlSeconds":60,"promotionSeconds":300,"appRecoverySeconds":30}`,
		"fractional":          `{"detectionSeconds":1.5,"dnsTtlSeconds":60,"promotionSeconds":300,"appRecoverySeconds":30}`,
		"not a number":        `{"detectionSeconds":"30","dnsTtlSeconds":60,"promotionSeconds":300,"appRecoverySeconds":30}`,
		"writes accepted off": `{"detectionSeconds":30,"dnsTtlSeconds":60,"promotionSeconds":300,"appRecoverySeconds":30,"writesAcceptedSeconds":420}`,
		"full capacity off":   `{"detectionSeconds":30,"dnsTtlSeconds":60,"promotionSeconds":300,"appRecoverySeconds":30,"scaleUpSeconds":400,"fullCapacitySeconds":360}`,
	} {
		_, err := ParseBudget([]byte(doc))
		assert.Error(t, err, name)
	}
}

func TestBudgetFromSecondsAndScaled(t *testing.T) {
	b, err := BudgetFromSeconds(map[string]int{"detectionSeconds": 30, "dnsTtlSeconds": 60, "declarationSeconds": 120,
		"promotionSeconds": 300, "appRecoverySeconds": 30, "scaleUpSeconds": 240, "totalSeconds": 480})
	require.NoError(t, err)
	assert.Equal(t, shippedBudget(), b)
	lab := b.Scaled(10)
	assert.Equal(t, 3*time.Second, lab.Detection)
	assert.Equal(t, 48*time.Second, lab.WritesAccepted())
	assert.Equal(t, b, b.Scaled(1))
	_, err = BudgetFromSeconds(map[string]int{"detectionSeconds": 30})
	assert.Error(t, err)
}

func TestBudgetBands(t *testing.T) {
	bands := shippedBudget().Bands(t0)
	got := map[Phase][2]float64{}
	for _, b := range bands {
		got[b.Phase] = [2]float64{b.Start.Sub(t0).Seconds(), b.End.Sub(t0).Seconds()}
	}
	assert.Equal(t, map[Phase][2]float64{
		PhaseDetection:   {0, 30},
		PhaseDNS:         {30, 90},
		PhaseDeclaration: {30, 150},
		PhasePromotion:   {150, 450},
		PhaseAppRecovery: {450, 480},
		PhaseScaleUp:     {150, 390},
	}, got, "no Multi-AZ band when the conversion is not on the path")
}

func TestReadBudgetFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "budget.json")
	require.NoError(t, os.WriteFile(path, []byte(budgetJSON), 0o644))
	b, err := ReadBudgetFile(path)
	require.NoError(t, err)
	assert.Equal(t, shippedBudget(), b)
	_, err = ReadBudgetFile(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)
}
