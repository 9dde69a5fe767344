package retention

import (
	"fmt"
	"math"
	"strings"
)

// formatBytes writes n in decimal units (what disks are sold in), in
// English and Vietnamese (decimal comma): "1.5 GB", "1,5 GB".
func formatBytes(n int64) (en, vi string) {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	v, i := float64(n), 0
	for math.Abs(v) >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		s := fmt.Sprintf("%d B", n)
		return s, s
	}
	return decimal(v) + " " + units[i], decimalVI(v) + " " + units[i]
}

// formatDays writes a number of days with at most one decimal.
func formatDays(d float64) (en, vi string) {
	return decimal(d), decimalVI(d)
}

// decimal writes v with one decimal, dropping ".0".
func decimal(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

func decimalVI(v float64) string {
	return strings.Replace(decimal(v), ".", ",", 1)
}
