package gameday

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
)

// assertNoOverlap checks the placed boxes pairwise, rows being
// labelRowH apart and every box labelRowH-2 high.
func assertNoOverlap(t *testing.T, l labelLayout, anchors, widths []vg.Length, slots []labelSlot) {
	t.Helper()
	require.Len(t, slots, len(anchors), "every label is placed")
	box := func(i int) vg.Rectangle {
		y := vg.Length(slots[i].Row) * labelRowH
		return vg.Rectangle{Min: vg.Point{X: slots[i].Left, Y: y}, Max: vg.Point{X: slots[i].Left + widths[i], Y: y + labelRowH - 2}}
	}
	for i := range slots {
		b := box(i)
		assert.GreaterOrEqual(t, b.Min.X, l.MinX, "label %d starts inside", i)
		assert.LessOrEqual(t, b.Max.X, l.MaxX, "label %d ends inside", i)
		// A label never sits left of its moment's line, unless the right
		// edge pushed it there, and never further right than allowed.
		preferred := max(l.MinX, min(anchors[i]+l.Offset, l.MaxX-widths[i]))
		assert.GreaterOrEqual(t, b.Min.X, preferred, "label %d", i)
		assert.LessOrEqual(t, b.Min.X-preferred, l.MaxShift, "label %d slid too far", i)
		for j := range i {
			other := box(j)
			gapOK := b.Min.X >= other.Max.X+l.Gap || other.Min.X >= b.Max.X+l.Gap
			assert.True(t, !overlaps(b, other) && (slots[i].Row != slots[j].Row || gapOK),
				"labels %d (%v) and %d (%v) overlap", i, b, j, other)
		}
	}
}

func TestLabelPlacementNeverOverlaps(t *testing.T) {
	l := labelLayout{MinX: 100, MaxX: 900, Gap: 8, MaxShift: 40, Offset: 3}
	rng := rand.New(rand.NewPCG(14, 5))
	same := func(n int, x, w vg.Length) ([]vg.Length, []vg.Length) {
		a, ws := make([]vg.Length, n), make([]vg.Length, n)
		for i := range a {
			a[i], ws[i] = x, w
		}
		return a, ws
	}
	cases := map[string]func() ([]vg.Length, []vg.Length){
		"one moment, many labels":   func() ([]vg.Length, []vg.Length) { return same(30, 400, 120) },
		"all at the left edge":      func() ([]vg.Length, []vg.Length) { return same(12, 90, 150) },
		"all at the right edge":     func() ([]vg.Length, []vg.Length) { return same(12, 899, 150) },
		"wider than the free space": func() ([]vg.Length, []vg.Length) { return same(5, 880, 790) },
		"a burst then a gap": func() ([]vg.Length, []vg.Length) {
			a, w := same(40, 0, 0)
			for i := range a {
				a[i], w[i] = 300+vg.Length(i%20)*2, 60+vg.Length(i)*3
			}
			return a, w
		},
		"random": func() ([]vg.Length, []vg.Length) {
			a, w := same(200, 0, 0)
			for i := range a {
				a[i], w[i] = 100+vg.Length(rng.Float64()*800), 20+vg.Length(rng.Float64()*200)
			}
			return a, w
		},
	}
	for name, gen := range cases {
		t.Run(name, func(t *testing.T) {
			anchors, widths := gen()
			slots := l.place(anchors, widths)
			assertNoOverlap(t, l, anchors, widths, slots)
		})
	}
}

func TestLabelPlacementStaysCompact(t *testing.T) {
	l := labelLayout{MinX: 0, MaxX: 1000, Gap: 8, MaxShift: 40, Offset: 3}
	// Far-apart labels share the first row.
	slots := l.place([]vg.Length{10, 300, 600}, []vg.Length{100, 100, 100})
	assert.Equal(t, 1, rowCount(slots))
	// A label just past its neighbour slides right instead of taking a row.
	slots = l.place([]vg.Length{10, 100}, []vg.Length{100, 60})
	assert.Equal(t, []labelSlot{{Left: 13, Row: 0}, {Left: 121, Row: 0}}, slots)
	// Too far to slide: a second row, at its own place.
	slots = l.place([]vg.Length{10, 20}, []vg.Length{100, 60})
	assert.Equal(t, []labelSlot{{Left: 13, Row: 0}, {Left: 23, Row: 1}}, slots)
	// Order of the input does not matter: placement follows the anchors.
	slots = l.place([]vg.Length{20, 10}, []vg.Length{60, 100})
	assert.Equal(t, []labelSlot{{Left: 23, Row: 1}, {Left: 13, Row: 0}}, slots)
	assert.Empty(t, l.place(nil, nil))
}
