package vmspec

import (
	"errors"
	"math"
	"strconv"
)

// Int is an integer as the API server's schema reads one: 80, 80.0 and 8e1
// alike. JSON null leaves it 0.
type Int int64

var errNotInt = errors.New("must be an integer")

// UnmarshalJSON reads an Int, for JSON v2 (the product's decoder) and for
// encoding/json's kin (the API server's, which the tests hold it to). A
// number with a fraction, beyond int64, or that a float64 cannot hold
// exactly is not one.
func (n *Int) UnmarshalJSON(v []byte) error {
	s := string(v)
	if s == "null" {
		return nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int(i)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return errNotInt
	}
	*n = Int(f)
	return nil
}
