package track

import "math"

// axis is a constant-velocity Kalman filter on one coordinate (a box's centre
// x, centre y, width or height). Four independent 2-state filters do what
// SORT's 8-state filter does with diagonal noise, without a matrix library.
//
// A Kalman filter rather than an alpha-beta filter: frames come at uneven
// times (dropped frames, 5 fps that is not exactly 5) and tracks go unseen
// for a few frames; the filter's gain follows its uncertainty, so a new
// track learns its speed in two or three frames, and a track coming out of
// an occlusion trusts the new detection more than its stale prediction.
// Fixed alpha-beta gains do neither.
type axis struct {
	p, v float64 // position (px) and velocity (px/s)
	// covariance of (p, v)
	ppp, ppv, pvv float64
}

func newAxis(p, posStd, velStd float64) axis {
	return axis{p: p, ppp: posStd * posStd, pvv: velStd * velStd}
}

// predict moves the state dt seconds ahead. accStd is the standard deviation
// of the unmodelled acceleration (px/s²): white-noise acceleration model.
func (a *axis) predict(dt, accStd float64) {
	if dt <= 0 {
		return
	}
	a.p += a.v * dt
	q := accStd * accStd
	dt2 := dt * dt
	// P = F P Fᵀ + Q with F = [[1, dt], [0, 1]].
	ppp := a.ppp + 2*dt*a.ppv + dt2*a.pvv + q*dt2*dt2/4
	ppv := a.ppv + dt*a.pvv + q*dt2*dt/2
	pvv := a.pvv + q*dt2
	a.ppp, a.ppv, a.pvv = ppp, ppv, pvv
}

// update corrects the state with a measurement z of standard deviation std.
func (a *axis) update(z, std float64) {
	s := a.ppp + std*std
	if s <= 0 || math.IsNaN(s) {
		return
	}
	kp, kv := a.ppp/s, a.ppv/s
	y := z - a.p
	a.p += kp * y
	a.v += kv * y
	// P = (I - K H) P
	ppp := (1 - kp) * a.ppp
	ppv := (1 - kp) * a.ppv
	pvv := a.pvv - kv*a.ppv
	a.ppp, a.ppv, a.pvv = ppp, ppv, pvv
}
