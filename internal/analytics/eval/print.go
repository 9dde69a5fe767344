package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"matthan/internal/analytics"
)

// WriteText prints the report as tables a person reads.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	clips := "clips"
	if len(r.Clips) == 1 {
		clips = "clip"
	}
	p("Objects: the detector's output on %d labelled frames of %d %s (a detection matches a labelled object at IoU >= %.2f)\n", r.Frames, len(r.Clips), clips, r.IoU)
	classTable(p, r.Classes)
	p("\nRiders per motorcycle: %d labelled, %d found as a motorcycle track, %d counted right, %d fewer, %d more\n",
		r.Riders.Labelled, r.Riders.Tracked, r.Riders.Right, r.Riders.Fewer, r.Riders.More)
	p("\nRules: the pipeline at %g fps with the default settings; a clip counts once per rule (expected to fire or not)\n", r.FPS)
	p("rule\tclips\texpected\tfired\tTP\tFP\tFN\tprecision\trecall\tevents\t\n")
	for _, rc := range r.Rules {
		p("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t\n", rc.Rule, rc.Clips, rc.Labelled, rc.Detected, rc.TP, rc.FP, rc.FN, ratio(rc.Precision), ratio(rc.Recall), rc.Events)
	}
	for _, c := range r.Clips {
		p("\n%s: %d frames analysed, %d labelled (%d without a detector pass in the pipeline); riders %d/%d right\n",
			c.Clip, c.Analysed, c.Frames, c.Gated, c.Riders.Right, c.Riders.Tracked)
		classTable(p, c.Classes)
		var fired []string
		for _, t := range slices.Sorted(maps.Keys(c.Fired)) {
			fired = append(fired, fmt.Sprintf("%s %d", t, c.Fired[t]))
		}
		var expected []string
		for _, t := range slices.Sorted(maps.Keys(c.Expected)) {
			expected = append(expected, fmt.Sprintf("%s %s", t, map[bool]string{true: "yes", false: "no"}[c.Expected[t]]))
		}
		p("  events fired: %s; expected: %s\n", orNone(fired), orNone(expected))
	}
	return tw.Flush()
}

func classTable(p func(string, ...any), classes []ClassCounts) {
	p("class\tlabelled\tdetected\tTP\tFP\tFN\tignored\tprecision\trecall\t\n")
	var all Counts
	for _, c := range classes {
		all.add(c.Counts)
		p("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", c.Class, c.Labelled, c.Detected, c.TP, c.FP, c.FN, c.Ignored, ratio(c.Precision), ratio(c.Recall))
	}
	pr, rc := ratios(all)
	p("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", "all", all.Labelled, all.Detected, all.TP, all.FP, all.FN, all.Ignored, ratio(pr), ratio(rc))
}

func ratio(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *v)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Class returns the report's counts of class c (zero when absent).
func (r *Report) Class(c analytics.Class) ClassCounts {
	for _, cc := range r.Classes {
		if cc.Class == c {
			return cc
		}
	}
	return ClassCounts{Class: c}
}
