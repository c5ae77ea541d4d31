package vmspec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// TypeName names a decoded JSON value's type for messages.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *Object, map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number, float64, int64, int:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// Int reads an integer. ok is false for anything else, including numbers
// with a fraction and integers beyond int64.
func Int(v any) (n int64, ok bool) {
	num, isNum := v.(json.Number)
	if !isNum {
		return 0, false
	}
	if n, err := num.Int64(); err == nil {
		return n, true
	}
	// 80.0 and 8e1 are integers too, as the API server's schema sees them.
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}
