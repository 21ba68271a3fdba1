package bench

import (
	"slices"
	"strings"
	"time"
)

// RunInfo records an earlier run whose sections a merged results file kept.
type RunInfo struct {
	Sections        []string  `json:"sections"`
	Started         time.Time `json:"started"`
	DurationSeconds float64   `json:"durationSeconds"`
	Command         string    `json:"command"`
	Quick           bool      `json:"quick,omitempty"`
	LoadAvgStart    float64   `json:"loadAvgStart"`
	LoadAvgEnd      float64   `json:"loadAvgEnd"`
}

// present lists the sections r holds results for, in Sections order.
func (r *Results) present() []string {
	var out []string
	for _, s := range Sections {
		var ok bool
		switch s {
		case "throughput":
			ok = r.Throughput != nil
		case "engines":
			ok = r.Engines != nil
		case "failover":
			ok = r.Failover != nil
		case "deploy":
			ok = r.Deploy != nil
		case "reshard":
			ok = r.Reshard != nil
		case "policy":
			ok = r.Policy != nil
		case "program":
			ok = r.Program != nil
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// Merge returns cur with the sections it did not run taken from old (an earlier results
// file), so that running some sections does not drop the others. Errors of a kept section are
// kept with it; Earlier says which earlier run produced each kept section. cur's run (Started,
// Command, Config, Machine) stays the file's own. Neither argument is modified.
func Merge(old, cur *Results) *Results {
	m := *cur
	m.Errors = slices.Clone(cur.Errors)
	m.Earlier = nil
	if old == nil {
		return &m
	}
	ran := func(s string) bool { return slices.Contains(cur.Config.Sections, s) }
	var kept []string
	for _, s := range old.present() {
		if ran(s) {
			continue
		}
		kept = append(kept, s)
		switch s {
		case "throughput":
			m.Throughput = old.Throughput
		case "engines":
			m.Engines = old.Engines
		case "failover":
			m.Failover = old.Failover
		case "deploy":
			m.Deploy = old.Deploy
		case "reshard":
			m.Reshard = old.Reshard
		case "policy":
			m.Policy = old.Policy
		case "program":
			m.Program = old.Program
		}
	}
	if slices.Contains(cur.Config.Sections, "failover") && cur.Failover != nil && old.Failover != nil {
		m.Failover = mergeFailover(old.Failover, cur.Failover, cur.Config)
	}
	if len(kept) == 0 {
		return &m
	}
	isKept := func(s string) bool { return slices.Contains(kept, s) }
	for _, e := range old.Earlier {
		e.Sections = slices.DeleteFunc(slices.Clone(e.Sections), func(s string) bool { return !isKept(s) })
		if len(e.Sections) > 0 {
			m.Earlier = append(m.Earlier, e)
		}
	}
	// old's own run produced the kept sections that no earlier run of it did.
	var own []string
	for _, s := range kept {
		if !slices.ContainsFunc(old.Earlier, func(e RunInfo) bool { return slices.Contains(e.Sections, s) }) {
			own = append(own, s)
		}
	}
	if len(own) > 0 {
		m.Earlier = append(m.Earlier, RunInfo{Sections: own, Started: old.Started, DurationSeconds: old.DurationSeconds,
			Command: old.Command, Quick: old.Config.Quick, LoadAvgStart: old.Machine.LoadAvgStart, LoadAvgEnd: old.Machine.LoadAvgEnd})
	}
	for _, e := range old.Errors {
		section, _, _ := strings.Cut(e, ":")
		if isKept(section) {
			m.Errors = append(m.Errors, e)
		}
	}
	return &m
}

// mergeFailover keeps the rows of old that a failover run limited by -faults or -setups did
// not measure again, so that the section can be rerun a fault or a setup at a time (its full
// run takes hours); cur's rows replace the ones it measured. Rows are ordered by mode, setup
// and fault as a full run orders them. Neither argument is modified.
func mergeFailover(old, cur *FailoverResult, cfg Config) *FailoverResult {
	faults, setups := cfg.Faults, cfg.Setups
	if len(faults) == 0 {
		faults = Faults
	}
	if len(setups) == 0 {
		setups = FailoverSetups
	}
	var keep []FailoverCase
	for _, c := range old.Cases {
		if !slices.Contains(faults, faultOf(c)) || !slices.Contains(setups, c.Setup) {
			keep = append(keep, c)
		}
	}
	if len(keep) == 0 {
		return cur
	}
	m := *cur
	m.Cases = append(slices.Clone(cur.Cases), keep...)
	index := func(xs []string, x string) int {
		if i := slices.Index(xs, x); i >= 0 {
			return i
		}
		return len(xs)
	}
	modes := []string{"replication", "cluster"}
	slices.SortStableFunc(m.Cases, func(a, b FailoverCase) int {
		if d := index(modes, a.Mode) - index(modes, b.Mode); d != 0 {
			return d
		}
		if d := index(FailoverSetups, a.Setup) - index(FailoverSetups, b.Setup); d != 0 {
			return d
		}
		return index(Faults, faultOf(a)) - index(Faults, faultOf(b))
	})
	m.Faults = nil
	for _, f := range Faults {
		if slices.ContainsFunc(m.Cases, func(c FailoverCase) bool { return faultOf(c) == f }) {
			m.Faults = append(m.Faults, f)
		}
	}
	m.EarlierCommands = append(slices.Clone(old.EarlierCommands), old.Command)
	m.EarlierCommands = slices.Compact(m.EarlierCommands)
	return &m
}
