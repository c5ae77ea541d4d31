package vmspec

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// Int is an integer as the API server's schema reads one: 80, 80.0 and 8e1
// alike. JSON null leaves it 0.
type Int int64

var errNotInt = errors.New("must be an integer")

// UnmarshalJSON reads an Int, for JSON v2 (the product's decoder) and for
// encoding/json's kin (the API server's, which the tests hold it to).
func (n *Int) UnmarshalJSON(v []byte) error {
	if bytes.Equal(v, []byte("null")) {
		return nil
	}
	i, ok := parseInt(string(v))
	if !ok {
		return errNotInt
	}
	*n = Int(i)
	return nil
}

// parseInt reads a JSON number that is an integer: not one with a fraction,
// nor one beyond int64, nor one a float64 cannot hold exactly.
func parseInt(s string) (int64, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}
