package policies

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// WindowsOverlap reports whether a weekly maintenance window ("sun:05:00-sun:06:00", UTC)
// and a daily snapshot window ("03:00-04:00", UTC, every day) share any minute.
func WindowsOverlap(maintenance, snapshot string) (bool, error) {
	mStart, mEnd, err := parseWeekly(maintenance)
	if err != nil {
		return false, fmt.Errorf("maintenanceWindow %q: %w", maintenance, err)
	}
	sStart, sEnd, err := parseDaily(snapshot)
	if err != nil {
		return false, fmt.Errorf("snapshotWindow %q: %w", snapshot, err)
	}
	var week [minutesPerWeek]bool
	mark(week[:], mStart, mEnd, minutesPerWeek)
	for day := 0; day < 7; day++ {
		base := day * minutesPerDay
		length := (sEnd - sStart + minutesPerDay) % minutesPerDay
		for i := 0; i < length; i++ {
			if week[(base+sStart+i)%minutesPerWeek] {
				return true, nil
			}
		}
	}
	return false, nil
}

// mark sets [start, end) on a circle of n minutes.
func mark(circle []bool, start, end, n int) {
	for i := start; i != end; i = (i + 1) % n {
		circle[i] = true
	}
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a hh24:mi time", s)
	}
	return hh*60 + mm, nil
}

func parseDaily(w string) (start, end int, err error) {
	a, b, ok := strings.Cut(w, "-")
	if !ok {
		return 0, 0, fmt.Errorf("not in the form hh24:mi-hh24:mi")
	}
	if start, err = parseClock(a); err != nil {
		return 0, 0, err
	}
	if end, err = parseClock(b); err != nil {
		return 0, 0, err
	}
	if start == end {
		return 0, 0, fmt.Errorf("the window is empty")
	}
	return start, end, nil
}

func parseWeekly(w string) (start, end int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(w), "-")
	if !ok {
		return 0, 0, fmt.Errorf("not in the form ddd:hh24:mi-ddd:hh24:mi")
	}
	at := func(s string) (int, error) {
		day, clock, ok := strings.Cut(s, ":")
		d := indexOf(weekdays, day)
		if !ok || d < 0 {
			return 0, fmt.Errorf("%q does not start with a day (sun, mon, ...)", s)
		}
		c, err := parseClock(clock)
		return d*minutesPerDay + c, err
	}
	if start, err = at(a); err != nil {
		return 0, 0, err
	}
	if end, err = at(b); err != nil {
		return 0, 0, err
	}
	if start == end {
		return 0, 0, fmt.Errorf("the window is empty")
	}
	return start, end, nil
}

func indexOf(list []string, s string) int {
	for i, e := range list {
		if e == s {
			return i
		}
	}
	return -1
}
