package rules

import (
	"strings"
	"unicode/utf8"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
)

// fit shapes a printable warning under 120 characters naming the field:
// the full path if it fits, else the path from the VM spec, else the tail
// of the line.
func (o *object) fit(path, msg string) string {
	return fit(o.SpecPath.String(), path, msg)
}

func fit(specPrefix, path, msg string) string {
	const limit = 119
	path, msg = netconfig.Printable(path), netconfig.Printable(msg) // a map key in a path may hold a newline
	s := path + ": " + msg
	if len(s) <= limit {
		return s
	}
	if rel, ok := strings.CutPrefix(path, specPrefix+"."); ok {
		s = rel + ": " + msg
		if len(s) <= limit {
			return s
		}
	}
	s = s[len(s)-(limit-3):]
	for !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return "..." + s
}
