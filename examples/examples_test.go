package examples

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	text := "# Says what happens.\n# expect: patch /a/b\n# expect: warn x: y z\n# expect: deny p: Forbidden: q\n# expect: warn w\nkind: X\n"
	ex, err := Parse("x.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if ex.Summary != "Says what happens." || !slices.Equal(ex.Patch, []string{"/a/b"}) ||
		!slices.Equal(ex.Warn, []string{"x: y z", "w"}) || !slices.Equal(ex.Deny, []string{"p: Forbidden: q"}) {
		t.Errorf("got %+v", ex)
	}
	for _, bad := range []string{"kind: X\n", "# expect: warn w\n", "# ok\n# expect: allow\n"} {
		if _, err := Parse("bad.yaml", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Every file in examples/ has a header Parse accepts.
func TestAllParse(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 10 {
		t.Fatalf("only %d examples", len(all))
	}
}
