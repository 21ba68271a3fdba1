package window

import (
	"strings"
	"testing"
	"time"
)

func at(h, m int) time.Time { return time.Date(2026, 3, 10, h, m, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		weekly  bool
		want    string // String() of the parsed window, or the error's text
		minutes int
	}{
		{"03:00-04:00", false, "03:00-04:00", 60},
		{"23:30-00:30", false, "23:30-00:30", 60},
		{"3-4", false, "not in the form hh24:mi-hh24:mi", 0},
		{"25:00-26:00", false, "not in the form", 0},
		{"05:00-05:00", false, "the window is empty", 0},
		{"sun:05:00-sun:06:00", true, "sun:05:00-sun:06:00", 60},
		{"SAT:23:00-Sun:01:00", true, "sat:23:00-sun:01:00", 120},
		{"sunday 5am", true, "not in the form ddd:hh24:mi-ddd:hh24:mi", 0},
	} {
		var got string
		var minutes int
		var err error
		if tc.weekly {
			var w Weekly
			w, err = ParseWeekly(tc.in)
			got, minutes = w.String(), w.Minutes()
		} else {
			var d Daily
			d, err = ParseDaily(tc.in)
			got, minutes = d.String(), d.Minutes()
		}
		if err != nil {
			got, minutes = err.Error(), 0
		}
		if !strings.HasPrefix(got, tc.want) || minutes != tc.minutes {
			t.Errorf("%q: got %q (%d min), want %q (%d min)", tc.in, got, minutes, tc.want, tc.minutes)
		}
	}
}

func TestCheckElastiCache(t *testing.T) {
	short, _ := ParseDaily("03:00-03:30")
	if err := short.CheckElastiCache(); err == nil || !strings.Contains(err.Error(), "at least 60 minutes") {
		t.Errorf("30-minute snapshot window: %v", err)
	}
	long, _ := ParseWeekly("sun:00:00-mon:01:00")
	if err := long.CheckElastiCache(); err == nil || !strings.Contains(err.Error(), "at most 24 hours") {
		t.Errorf("25-hour maintenance window: %v", err)
	}
	ok, _ := ParseWeekly("sat:23:00-sun:01:00")
	if err := ok.CheckElastiCache(); err != nil {
		t.Errorf("2-hour maintenance window across the week's end: %v", err)
	}
}

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		m, s string
		want bool
	}{
		{"sun:05:00-sun:06:00", "03:00-04:00", false},
		{"sun:05:00-sun:06:00", "05:30-06:30", true},
		{"sun:05:00-sun:06:00", "06:00-07:00", false}, // touching is not overlapping
		{"sat:23:00-sun:01:00", "00:00-01:00", true},  // across the week's end
		{"wed:23:30-thu:00:30", "23:00-00:00", true},  // daily window ends at midnight
		{"mon:10:00-mon:11:00", "23:30-10:30", true},  // daily window wraps into it
		{"mon:10:00-mon:11:00", "23:30-09:30", false},
		// Cases the spec and the policy pack tested when each had its own parser.
		{"sun:05:00-sun:06:00", "05:59-07:00", true},
		{"sun:23:30-mon:00:30", "00:00-01:00", true},
		{"sat:23:00-sun:01:00", "23:30-00:30", true},
		{"wed:10:00-wed:11:00", "11:00-12:00", false},
		{"mon:01:00-mon:02:00", "23:30-01:30", true},
		{"sun:05:00-sun:06:00", "05:59-06:30", true},
		{"sat:23:30-sun:00:30", "00:00-01:00", true},
		{"mon:03:00-mon:04:00", "23:30-01:30", false},
	} {
		m, err := ParseWeekly(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseDaily(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Overlap(m, s); got != tc.want {
			t.Errorf("Overlap(%s, %s) = %v, want %v", tc.m, tc.s, got, tc.want)
		}
	}
}

func TestContainsOpenedNext(t *testing.T) {
	w, _ := ParseDaily("23:30-00:30")
	for _, tc := range []struct {
		t      time.Time
		in     bool
		opened string
		next   time.Time
	}{
		{at(23, 45), true, "2026-03-10", at(23, 30).AddDate(0, 0, 1)},
		{at(0, 15), true, "2026-03-09", at(23, 30)},
		{at(0, 30), false, "2026-03-10", at(23, 30)},
		{at(12, 0), false, "2026-03-10", at(23, 30)},
		{at(23, 30), true, "2026-03-10", at(23, 30)},
	} {
		if got := w.Contains(tc.t); got != tc.in {
			t.Errorf("Contains(%s) = %v, want %v", tc.t.Format("15:04"), got, tc.in)
		}
		if got := w.Opened(tc.t); got != tc.opened {
			t.Errorf("Opened(%s) = %s, want %s", tc.t.Format("01-02 15:04"), got, tc.opened)
		}
		if got := w.Next(tc.t); !got.Equal(tc.next) {
			t.Errorf("Next(%s) = %s, want %s", tc.t.Format("01-02 15:04"), got, tc.next)
		}
	}
	plain, _ := ParseDaily("03:00-04:00")
	if !plain.Contains(at(3, 0)) || plain.Contains(at(4, 0)) || plain.Contains(at(2, 59)) {
		t.Error("03:00-04:00 contains 03:00 and not 04:00 nor 02:59")
	}
}

// Cases the engine's snapshot schedule tested when it parsed windows itself.
func TestScheduleCases(t *testing.T) {
	on := func(day, h, m int) time.Time { return time.Date(2030, 1, day, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		window string
		t      time.Time
		in     bool
		opened string
	}{
		{"05:00-06:00", on(2, 5, 0), true, "2030-01-02"},
		{"05:00-06:00", on(2, 5, 59), true, "2030-01-02"},
		{"05:00-06:00", on(2, 6, 0), false, "2030-01-02"},
		{"05:00-06:00", on(2, 4, 59), false, "2030-01-02"},
		{"23:30-00:30", on(1, 23, 40), true, "2030-01-01"},
		{"23:30-00:30", on(2, 0, 10), true, "2030-01-01"},
		{"23:30-00:30", on(2, 12, 0), false, "2030-01-02"},
		{"23:30-00:30", on(2, 23, 31), true, "2030-01-02"},
		{"00:00-01:00", on(2, 0, 10), true, "2030-01-02"},
	} {
		w, err := ParseDaily(c.window)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Contains(c.t); got != c.in {
			t.Errorf("%s Contains(%s) = %v, want %v", c.window, c.t.Format("15:04"), got, c.in)
		}
		if got := w.Opened(c.t); got != c.opened {
			t.Errorf("%s Opened(%s) = %s, want %s", c.window, c.t.Format("01-02 15:04"), got, c.opened)
		}
	}
}
