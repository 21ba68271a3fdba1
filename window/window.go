// Package window is the one definition of ElastiCache's time windows, shared by the
// components' validation, the policy pack and the self-hosted engine's snapshot schedule:
// the weekly maintenance window ("sun:05:00-sun:06:00") and the daily snapshot window
// ("03:00-04:00"), both in UTC, their parsing, the rules AWS puts on their length, whether
// they overlap, and where a moment falls in a daily window.
package window

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

var (
	days     = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	hhmm     = `([01][0-9]|2[0-3]):([0-5][0-9])`
	day      = `(sun|mon|tue|wed|thu|fri|sat)`
	weeklyRe = regexp.MustCompile(`^` + day + `:` + hhmm + `-` + day + `:` + hhmm + `$`)
	dailyRe  = regexp.MustCompile(`^` + hhmm + `-` + hhmm + `$`)
)

// The formats, as errors and validation messages quote them.
const (
	WeeklyFormat = "ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:05:00-sun:06:00"
	DailyFormat  = "hh24:mi-hh24:mi in UTC, e.g. 03:00-04:00"
)

// Daily is a window that opens every day: Start and End are minutes after 00:00 UTC, End
// past 1440 when the window wraps past midnight.
type Daily struct{ Start, End int }

// Weekly is a window that opens once a week: Start and End are minutes after Sunday 00:00
// UTC, End past a week when the window wraps past Saturday midnight.
type Weekly struct{ Start, End int }

// ParseDaily reads "hh24:mi-hh24:mi" (UTC). A window whose end is before its start wraps past
// midnight; one that ends where it starts is empty and refused.
func ParseDaily(s string) (Daily, error) {
	m := dailyRe.FindStringSubmatch(s)
	if m == nil {
		return Daily{}, fmt.Errorf("not in the form %s", DailyFormat)
	}
	start, end := atoi(m[1])*60+atoi(m[2]), atoi(m[3])*60+atoi(m[4])
	if start == end {
		return Daily{}, fmt.Errorf("the window is empty")
	}
	if end < start {
		end += minutesPerDay
	}
	return Daily{start, end}, nil
}

// ParseWeekly reads "ddd:hh24:mi-ddd:hh24:mi" (UTC, days in any case).
func ParseWeekly(s string) (Weekly, error) {
	m := weeklyRe.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return Weekly{}, fmt.Errorf("not in the form %s", WeeklyFormat)
	}
	start := dayNumber(m[1])*minutesPerDay + atoi(m[2])*60 + atoi(m[3])
	end := dayNumber(m[4])*minutesPerDay + atoi(m[5])*60 + atoi(m[6])
	if start == end {
		return Weekly{}, fmt.Errorf("the window is empty")
	}
	if end < start {
		end += minutesPerWeek
	}
	return Weekly{start, end}, nil
}

// Minutes is the window's length.
func (d Daily) Minutes() int { return d.End - d.Start }

// Minutes is the window's length.
func (w Weekly) Minutes() int { return w.End - w.Start }

// CheckElastiCache applies ElastiCache's rule for a snapshot window: at least 60 minutes
// (ElastiCache API reference, CreateReplicationGroup, SnapshotWindow).
func (d Daily) CheckElastiCache() error {
	if d.Minutes() < 60 {
		return fmt.Errorf("the window must last at least 60 minutes")
	}
	return nil
}

// CheckElastiCache applies ElastiCache's rules for a maintenance window: at least 60 minutes
// and at most 24 hours (ElastiCache API reference, CreateReplicationGroup,
// PreferredMaintenanceWindow).
func (w Weekly) CheckElastiCache() error {
	switch {
	case w.Minutes() < 60:
		return fmt.Errorf("the window must last at least 60 minutes")
	case w.Minutes() > minutesPerDay:
		return fmt.Errorf("the window must last at most 24 hours")
	}
	return nil
}

// Overlap reports whether a daily window and a weekly window share a minute on any day.
func Overlap(w Weekly, d Daily) bool {
	for day := -1; day <= 7; day++ {
		ds, de := day*minutesPerDay+d.Start, day*minutesPerDay+d.End
		for _, shift := range []int{-minutesPerWeek, 0, minutesPerWeek} {
			if ds < w.End+shift && w.Start+shift < de {
				return true
			}
		}
	}
	return false
}

// Contains reports whether t falls in the window.
func (d Daily) Contains(t time.Time) bool {
	now := minuteOfDay(t)
	return (now >= d.Start && now < d.End) || now+minutesPerDay < d.End
}

// Opened names the day of the window that t falls in (or last fell in) by the UTC date that
// window opened, so a window that wraps past midnight (23:30-00:30) is one window, not one
// on each side of midnight.
func (d Daily) Opened(t time.Time) string {
	t = t.UTC()
	if now := minuteOfDay(t); d.End > minutesPerDay && now < d.End-minutesPerDay {
		t = t.AddDate(0, 0, -1)
	}
	return t.Format("2006-01-02")
}

// Next is the first opening of the window at or after t.
func (d Daily) Next(t time.Time) time.Time {
	t = t.UTC()
	open := time.Date(t.Year(), t.Month(), t.Day(), 0, d.Start, 0, 0, time.UTC)
	if open.Before(t) {
		open = open.AddDate(0, 0, 1)
	}
	return open
}

// String renders the window as it is written.
func (d Daily) String() string {
	return clock(d.Start) + "-" + clock(d.End%minutesPerDay)
}

// String renders the window as it is written.
func (w Weekly) String() string {
	at := func(m int) string { m %= minutesPerWeek; return days[m/minutesPerDay] + ":" + clock(m%minutesPerDay) }
	return at(w.Start) + "-" + at(w.End)
}

func minuteOfDay(t time.Time) int { t = t.UTC(); return t.Hour()*60 + t.Minute() }

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func dayNumber(d string) int {
	for i, n := range days {
		if n == d {
			return i
		}
	}
	return -1
}
