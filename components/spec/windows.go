package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

const minutesPerDay, minutesPerWeek = 24 * 60, 7 * 24 * 60

var days = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// interval is a span of minutes on a weekly clock; End may exceed the week when it wraps.
type interval struct{ Start, End int }

var (
	hhmm      = `([01][0-9]|2[0-3]):([0-5][0-9])`
	weeklyRe  = regexp.MustCompile(`^(sun|mon|tue|wed|thu|fri|sat):` + hhmm + `-(sun|mon|tue|wed|thu|fri|sat):` + hhmm + `$`)
	dailyRe   = regexp.MustCompile(`^` + hhmm + `-` + hhmm + `$`)
	dayNumber = func(d string) int {
		for i, n := range days {
			if n == d {
				return i
			}
		}
		return -1
	}
)

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// ParseMaintenanceWindow parses ddd:hh24:mi-ddd:hh24:mi (UTC), at least 60 minutes long.
func ParseMaintenanceWindow(s string) (interval, error) {
	m := weeklyRe.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return interval{}, fmt.Errorf("format is ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:05:00-sun:06:00")
	}
	start := dayNumber(m[1])*minutesPerDay + atoi(m[2])*60 + atoi(m[3])
	end := dayNumber(m[4])*minutesPerDay + atoi(m[5])*60 + atoi(m[6])
	if end <= start {
		end += minutesPerWeek
	}
	if end-start < 60 {
		return interval{}, fmt.Errorf("the window must last at least 60 minutes")
	}
	if end-start > minutesPerDay {
		return interval{}, fmt.Errorf("the window must last at most 24 hours")
	}
	return interval{start, end}, nil
}

// ParseSnapshotWindow parses hh24:mi-hh24:mi (UTC, daily), at least 60 minutes long.
func ParseSnapshotWindow(s string) (interval, error) {
	m := dailyRe.FindStringSubmatch(s)
	if m == nil {
		return interval{}, fmt.Errorf("format is hh24:mi-hh24:mi in UTC, e.g. 03:00-04:00")
	}
	start := atoi(m[1])*60 + atoi(m[2])
	end := atoi(m[3])*60 + atoi(m[4])
	if end <= start {
		end += minutesPerDay
	}
	if end-start < 60 {
		return interval{}, fmt.Errorf("the window must last at least 60 minutes")
	}
	return interval{start, end}, nil
}

// WindowsOverlap tells whether a daily snapshot window meets a weekly maintenance window on any day.
func WindowsOverlap(maintenance, snapshot interval) bool {
	for day := -1; day <= 7; day++ {
		s := interval{day*minutesPerDay + snapshot.Start, day*minutesPerDay + snapshot.End}
		for _, shift := range []int{-minutesPerWeek, 0, minutesPerWeek} {
			m := interval{maintenance.Start + shift, maintenance.End + shift}
			if s.Start < m.End && m.Start < s.End {
				return true
			}
		}
	}
	return false
}
