package gameday

import (
	"sort"

	"gonum.org/v1/plot/vg"
)

// labelSlot is where a label goes: its left edge and its row, row 0 being
// the one nearest the plot.
type labelSlot struct {
	Left vg.Length
	Row  int
}

// labelLayout places labels of one height in rows above the plot.
type labelLayout struct {
	MinX, MaxX vg.Length // the labels stay inside [MinX, MaxX]
	Gap        vg.Length // least horizontal space between two labels of a row
	// MaxShift is how far a label may slide right of its preferred place
	// before it takes a new row instead: a little sliding keeps the chart
	// short, too much detaches a label from its line.
	MaxShift vg.Length
	// Offset puts a label's left edge this far right of its anchor, so
	// the text starts just after the line it names.
	Offset vg.Length
}

// place assigns every label a slot such that no two labels of a row
// overlap, which (rows being one label high) means no two labels overlap
// at all. Labels are taken in anchor order and each goes to the lowest
// row where it fits, so crowded moments stack upward; a new row always
// has room, so every label is placed.
func (l labelLayout) place(anchors, widths []vg.Length) []labelSlot {
	order := make([]int, len(anchors))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return anchors[order[a]] < anchors[order[b]] })

	slots := make([]labelSlot, len(anchors))
	var rowEnds []vg.Length // right edge of the last label of each row
	for _, i := range order {
		preferred := max(l.MinX, min(anchors[i]+l.Offset, l.MaxX-widths[i]))
		placed := false
		for row, end := range rowEnds {
			left := max(preferred, end+l.Gap)
			if left-preferred <= l.MaxShift && left+widths[i] <= l.MaxX {
				slots[i] = labelSlot{Left: left, Row: row}
				rowEnds[row] = left + widths[i]
				placed = true
				break
			}
		}
		if !placed {
			slots[i] = labelSlot{Left: preferred, Row: len(rowEnds)}
			rowEnds = append(rowEnds, preferred+widths[i])
		}
	}
	return slots
}

// rowCount is the number of rows the slots use.
func rowCount(slots []labelSlot) int {
	n := 0
	for _, s := range slots {
		n = max(n, s.Row+1)
	}
	return n
}
