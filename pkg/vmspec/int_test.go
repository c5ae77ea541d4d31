package vmspec

import "testing"

func TestIntUnmarshalJSON(t *testing.T) {
	for in, want := range map[string]struct {
		n  int64
		ok bool
	}{
		"80": {80, true}, "80.0": {80, true}, "8e1": {80, true}, "-1": {-1, true}, "9007199254740993": {9007199254740993, true},
		"80.5": {0, false}, `"80"`: {0, false}, "99999999999999999999": {0, false}, "1e400": {0, false}, "true": {0, false},
		"null": {0, true},
	} {
		var n Int
		err := n.UnmarshalJSON([]byte(in))
		if int64(n) != want.n || (err == nil) != want.ok {
			t.Errorf("UnmarshalJSON(%s) = %d, %v; want %d, ok %v", in, n, err, want.n, want.ok)
		}
	}
}
