package policies

import (
	"fmt"

	"github.com/rediskit/rediskit/window"
)

// windowsOverlap reports whether a weekly maintenance window and a daily snapshot window share
// a minute, naming the field of a window that does not parse.
func windowsOverlap(maintenance, snapshot string) (bool, error) {
	m, err := window.ParseWeekly(maintenance)
	if err != nil {
		return false, fmt.Errorf("maintenanceWindow %q: %w", maintenance, err)
	}
	s, err := window.ParseDaily(snapshot)
	if err != nil {
		return false, fmt.Errorf("snapshotWindow %q: %w", snapshot, err)
	}
	return window.Overlap(m, s), nil
}
