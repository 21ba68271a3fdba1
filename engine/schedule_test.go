package engine

import (
	"testing"
	"time"
)

func TestInWindow(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 1, 2, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		window string
		t      time.Time
		want   bool
	}{
		{"05:00-06:00", at(5, 0), true},
		{"05:00-06:00", at(5, 59), true},
		{"05:00-06:00", at(6, 0), false},
		{"05:00-06:00", at(4, 59), false},
		{"23:30-00:30", at(23, 45), true},
		{"23:30-00:30", at(0, 10), true},
		{"23:30-00:30", at(12, 0), false},
	} {
		got, err := InWindow(c.window, c.t)
		if err != nil || got != c.want {
			t.Errorf("InWindow(%s, %s) = %v, %v", c.window, c.t.Format("15:04"), got, err)
		}
	}
	if _, err := InWindow("5-6", at(5, 0)); err == nil {
		t.Error("bad window accepted")
	}
}
