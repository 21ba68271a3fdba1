package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rediskit/rediskit/engine"
)

// handoverTimeout bounds a replication group's FAILOVER: how long the primary pauses writes
// waiting for its replica to catch up before it gives up and stays primary.
const handoverTimeout = 10 * time.Second

// take carries out a pass's steps, each on its node. A step that fails is reported and the
// others still run: the next pass decides again from what the nodes then say, so a step that
// failed because gossip had not settled is simply decided again.
func take(ctx context.Context, d *dialer, facts []nodeFacts, steps []step) error {
	byNode := map[string]*nodeFacts{}
	for i := range facts {
		byNode[facts[i].Node.ID] = &facts[i]
	}
	var errs []error
	for _, s := range steps {
		f := byNode[s.On]
		if f == nil {
			errs = append(errs, fmt.Errorf("%s: no such node", s))
			continue
		}
		c := d.client(f.Node.Host, f.IP, f.Port)
		var err error
		switch s.Kind {
		case stepMeet:
			err = c.Do(ctx, "cluster", "meet", s.IP, s.Port, s.Bus).Err()
		case stepAddSlots:
			for _, r := range s.Slots {
				if err = c.ClusterAddSlotsRange(ctx, r.Start, r.End).Err(); err != nil {
					break
				}
			}
		case stepReplicate:
			err = c.ClusterReplicate(ctx, s.PeerID).Err()
		case stepFailover:
			err = c.Do(ctx, "cluster", "failover").Err()
		case stepHandover:
			switch {
			case s.Host != "":
				err = c.Do(ctx, "failover", "to", s.Host, s.Port, "timeout", handoverTimeout.Milliseconds()).Err()
			case s.On == s.Peer:
				err = c.Do(ctx, "failover", "timeout", handoverTimeout.Milliseconds()).Err()
			default:
				err = c.Do(ctx, "cluster", "failover").Err()
			}
		case stepTakeover:
			err = c.Do(ctx, "cluster", "failover", "takeover").Err()
		case stepSettle:
			err = c.Do(ctx, "cluster", "setslot", s.Slots[0].Start, "node", s.PeerID).Err()
		case stepForget:
			err = c.ClusterForget(ctx, s.PeerID).Err()
		case stepPromote:
			err = engine.PromoteReplicationReplica(ctx, c)
		case stepFollow:
			// Not written to the node's file: at every start pod-start decides the node's
			// role again from its peers.
			err = c.Do(ctx, "replicaof", s.Host, s.Port).Err()
		default:
			err = fmt.Errorf("unknown step kind %q", s.Kind)
		}
		c.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s, err))
		}
	}
	return errors.Join(errs...)
}
