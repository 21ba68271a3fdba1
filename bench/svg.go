package bench

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Series is one line of a chart: Y[i] is the value at x = i+1.
type Series struct {
	Name string
	Y    []float64
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

const (
	chartW, chartH         = 640, 320
	padL, padR, padT, padB = 60, 170, 30, 40
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
)

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// niceMax rounds up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// LineChart draws series as lines with markers over x = 1..n (repetitions), with a title,
// axis labels, four horizontal grid lines and a legend on the right.
func LineChart(title, xLabel, yLabel string, series []Series) string {
	n, ymax := 0, 0.0
	for _, s := range series {
		n = max(n, len(s.Y))
		for _, y := range s.Y {
			ymax = math.Max(ymax, y)
		}
	}
	ymax = niceMax(ymax)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartW, chartH)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", padL, html.EscapeString(title))
	x := func(i int) float64 {
		if n <= 1 {
			return padL + plotW/2
		}
		return padL + float64(i)*plotW/float64(n-1)
	}
	y := func(v float64) float64 { return padT + plotH - v/ymax*plotH }
	for g := 0; g <= 4; g++ {
		v := ymax * float64(g) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#ddd"/>`+"\n", padL, f1(y(v)), padL+plotW, f1(y(v)))
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", padL-6, f1(y(v)+4), trimFloat(v))
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">%d</text>`+"\n", f1(x(i)), padT+plotH+15, i+1)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", padL+plotW/2, chartH-6, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%d" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`+"\n", padT+plotH/2, padT+plotH/2, html.EscapeString(yLabel))
	for si, s := range series {
		col := palette[si%len(palette)]
		var pts []string
		for i, v := range s.Y {
			pts = append(pts, f1(x(i))+","+f1(y(v)))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", col, strings.Join(pts, " "))
		}
		for i, v := range s.Y {
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", f1(x(i)), f1(y(v)), col)
		}
		ly := padT + 10 + si*18
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", padL+plotW+12, ly-10, col)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", padL+plotW+30, ly, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// Bar is one labelled value of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// RatioChart draws horizontal bars for ratios with a reference line at 1 (parity).
func RatioChart(title string, bars []Bar) string {
	const rowH, labelW, w = 20, 190, 640
	h := padT + len(bars)*rowH + 30
	vmax := 1.0
	for _, br := range bars {
		vmax = math.Max(vmax, br.Value)
	}
	vmax = niceMax(vmax)
	barW := float64(w - labelW - 40)
	xv := func(v float64) float64 { return labelW + v/vmax*barW }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	for i, br := range bars {
		y := padT + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-6, y+14, html.EscapeString(br.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%d" fill="%s"/>`+"\n", labelW, y+3, f1(xv(br.Value)-labelW), rowH-6, palette[0])
		fmt.Fprintf(&b, `<text x="%s" y="%d">%.2f</text>`+"\n", f1(xv(br.Value)+4), y+14, br.Value)
	}
	bottom := padT + len(bars)*rowH
	fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#d62728" stroke-dasharray="4 3"/>`+"\n", f1(xv(1)), padT, f1(xv(1)), bottom)
	fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">1 = parity</text>`+"\n", f1(xv(1)), bottom+16)
	b.WriteString("</svg>\n")
	return b.String()
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
