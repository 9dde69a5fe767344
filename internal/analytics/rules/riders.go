package rules

import (
	"math"

	"matthan/internal/analytics"
	"matthan/internal/analytics/track"
)

// Riding geometry, in fractions of the motorcycle's box. Riders sit on the
// bike: their boxes overlap its upper part and their heads stick out above
// its top; a person walking beside it has their centre outside its width.
const (
	upperPart   = 0.6 // the top 60% of the motorcycle's box is where riders sit
	minOverlap  = 0.3 // of the smaller of (person box, upper part)
	headAbove   = 0.3 // the person's top is above the bike's top + 30% of its height
	maxSpeedOff = 0.5 // a rider's velocity is within 50% of the bike's speed of it
	minSpeedOff = 20  // … or within 20 px/s, for slow bikes
)

// Riding reports whether person looks like riding motorcycle bike in this
// frame, by the geometry and co-movement test of the riders rule; other
// rules (the helmet check) ask the same question.
func Riding(person, bike *track.Track) bool { return rides(person, bike) }

// rides reports whether person p looks like riding motorcycle m in this frame.
func rides(p, m *track.Track) bool {
	mb, pb := m.Box, p.Box
	cx := (pb.X1 + pb.X2) / 2
	if cx < mb.X1 || cx > mb.X2 {
		return false
	}
	upper := analytics.Box{X1: mb.X1, Y1: mb.Y1, X2: mb.X2, Y2: mb.Y1 + upperPart*mb.H()}
	in := analytics.Box{X1: max(pb.X1, upper.X1), Y1: max(pb.Y1, upper.Y1), X2: min(pb.X2, upper.X2), Y2: min(pb.Y2, upper.Y2)}.Area()
	if small := min(pb.Area(), upper.Area()); small == 0 || in < minOverlap*small {
		return false
	}
	if pb.Y1 > mb.Y1+headAbove*mb.H() {
		return false
	}
	tol := max(minSpeedOff, maxSpeedOff*m.Speed())
	return math.Hypot(p.VX-m.VX, p.VY-m.VY) <= tol
}

func (e *Engine) riders(i int, r Riders, tracks []*track.Track, obs map[key]*observation) {
	var zone *Zone
	if r.Zone != "" {
		z := e.zones[r.Zone]
		zone = &z
	}
	for _, m := range tracks {
		if m.Class != analytics.Motorcycle {
			continue
		}
		moving := m.Speed() >= r.MinSpeed
		var riders []*track.Track
		for _, p := range tracks {
			if p.Class != analytics.Person {
				continue
			}
			k := rideKey{i, m.ID, p.ID}
			switch {
			case !rides(p, m):
				delete(e.rideFrames, k)
			case moving:
				// Only frames where the bike moves count: people standing
				// around a parked bike never add up. A stop at a red light
				// neither adds nor resets.
				e.rideFrames[k]++
			}
			if e.rideFrames[k] >= r.MinFrames {
				riders = append(riders, p)
			}
		}
		if len(riders) < r.MinRiders {
			continue
		}
		if zone != nil && !zone.Contains(e.foot(m)) {
			continue
		}
		k := key{RidersEvent, i, "", m.ID}
		if zone != nil {
			k.zone = zone.Name
		}
		observe(obs, k, r.Describe(), r.Severity, r.Cooldown, m, true)
		for _, p := range riders {
			observe(obs, k, r.Describe(), r.Severity, r.Cooldown, p, true)
		}
		obs[k].class = analytics.Motorcycle
	}
}
