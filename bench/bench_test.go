package bench

import (
	"strings"
	"testing"

	"github.com/rediskit/rediskit/policies"
)

func TestStats(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	s := Summarize(xs)
	if s != (Summary{N: 10, Median: 5.5, P90: 9, Max: 10, Min: 1}) {
		t.Fatalf("Summarize = %+v", s)
	}
	if m := Median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("Median odd = %v", m)
	}
	if p := Percentile([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90); p != 10 {
		t.Errorf("p90 of 1..11 = %v, want 10 (nearest rank ceil(9.9) = 10)", p)
	}
	if xs[0] != 5 {
		t.Error("Summarize must not sort its input in place")
	}
	if Ratio(1, 0) != 0 || Ratio(3, 2) != 1.5 {
		t.Error("Ratio")
	}
	if (Summarize(nil) != Summary{}) {
		t.Error("empty summary")
	}
}

func TestTable(t *testing.T) {
	got := Table([]string{"a", "b"}, [][]string{{"1", "x|y"}, {"2", ""}})
	want := "| a | b |\n|---|---|\n| 1 | x\\|y |\n| 2 |  |\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestLineChart(t *testing.T) {
	got := LineChart("T", "rep", "s", []Series{{"a", []float64{1, 3}}})
	for _, want := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="320" viewBox="0 0 640 320" font-family="sans-serif" font-size="11">`,
		// ymax rounds 3 up to 5; x spans 60..470 for two points; y = 30 + 250 - v/5*250.
		`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="60.0,230.0 470.0,130.0"/>`,
		`<circle cx="470.0" cy="130.0" r="3" fill="#1f77b4"/>`,
		`<text x="54" y="34.0" text-anchor="end">5</text>`,
		`<text x="54" y="96.5" text-anchor="end">3.75</text>`,
		`<text x="500" y="40">a</text>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	if !strings.HasSuffix(got, "</svg>\n") || strings.Count(got, "<circle") != 2 {
		t.Error("structure")
	}
}

func TestRatioChart(t *testing.T) {
	got := RatioChart("R", []Bar{{"SET", 0.5}, {"GET <&>", 1.5}})
	for _, want := range []string{
		// vmax 1.5 -> 2; bar area 410 px from x=190.
		`<rect x="190" y="33" width="102.5" height="14" fill="#1f77b4"/>`,
		`<rect x="190" y="53" width="307.5" height="14" fill="#1f77b4"/>`,
		`<text x="184" y="64" text-anchor="end">GET &lt;&amp;&gt;</text>`,
		`<line x1="395.0" y1="30" x2="395.0" y2="70" stroke="#d62728" stroke-dasharray="4 3"/>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

func TestParseBenchCSV(t *testing.T) {
	out := "WARNING: ...\n" + `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n" +
		`"SET","15151.52","24.099","1.352","5.671","95.039","110.847","112.831"` + "\n" +
		`"GET","15873.02","24.446","0.408","4.663","90.879","97.535","98.111"` + "\n"
	got, err := ParseBenchCSV(out)
	if err != nil {
		t.Fatal(err)
	}
	if s := got["SET"]; s.RPS != 15151.52 || s.P50ms != 5.671 || s.P99ms != 110.847 {
		t.Errorf("SET = %+v", s)
	}
	if s := got["GET"]; s.RPS != 15873.02 || s.P99ms != 97.535 {
		t.Errorf("GET = %+v", s)
	}
	if _, err := ParseBenchCSV("no csv"); err == nil {
		t.Error("want an error without a header")
	}
}

func TestReplicateStack(t *testing.T) {
	base := &policies.Stack{Name: "s", Resources: []policies.Resource{
		{URN: "u:a", Name: "a"}, {URN: "u:b", Name: "b", Parent: "u:a", DependsOn: []string{"u:a"}}}}
	s := ReplicateStack(base, 5)
	var names []string
	for _, r := range s.Resources {
		names = append(names, r.Name+"<"+r.Parent)
	}
	if got := strings.Join(names, ","); got != "a<,b<u:a,a-1<,b-1<u:a-1,a-2<" {
		t.Errorf("got %s", got)
	}
	if s.Resources[3].DependsOn[0] != "u:a-1" || base.Resources[1].DependsOn[0] != "u:a" {
		t.Error("dependencies must be renamed in the copy only")
	}
}

func TestPortsBlock(t *testing.T) {
	ps := &Ports{Lo: 8000, Hi: 9000}
	if ps.Half() != 500 {
		t.Fatal(ps.Half())
	}
	a, err := ps.Block(3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ps.Block(2)
	if err != nil {
		t.Fatal(err)
	}
	if a < 8000 || a+3 > 8500 || b < a+3 || b+2 > 8500 {
		t.Errorf("blocks %d, %d", a, b)
	}
}
