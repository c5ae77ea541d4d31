package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// The serve test runs this test binary as the command (see serve_test.go).
func TestMain(m *testing.M) {
	if os.Getenv("VMNET_WEBHOOK_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func runCmd(t *testing.T, stdin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(args, strings.NewReader(stdin), &out, &errb)
	return status, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	if s, _, e := runCmd(t, ""); s != 2 || !strings.Contains(e, "Usage:") {
		t.Errorf("no command: %d %q", s, e)
	}
	if s, _, e := runCmd(t, "", "frobnicate"); s != 2 || !strings.Contains(e, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", s, e)
	}
	if s, o, _ := runCmd(t, "", "help"); s != 0 || !strings.Contains(o, "vmnet-webhook preview") {
		t.Errorf("help: %d %q", s, o)
	}
	if s, _, e := runCmd(t, "", "serve", "--no-such-flag"); s != 2 || !strings.Contains(e, "unknown flag: --no-such-flag") {
		t.Errorf("bad flag: %d %q", s, e)
	}
	if s, _, e := runCmd(t, "", "serve", "--help"); s != 0 || !strings.Contains(e, "--max-body-bytes") {
		t.Errorf("serve --help: %d %q", s, e)
	}
	if s, _, e := runCmd(t, "", "serve", "extra"); s != 2 || !strings.Contains(e, "unexpected arguments: [extra]") {
		t.Errorf("stray argument: %d %q", s, e)
	}
}

// Flags set on the command line override the file; the others keep the
// file's values, and the file's absent keys keep the defaults.
func TestRuleFlagsOverrideConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte("reservedPorts: [1000]\nenforcement: warn\nipv6:\n  guestInterface: enp1s0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(args ...string) (config.Config, error) {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		rf := addRuleFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return rf.config(fs)
	}
	cfg, err := parse("--config", file, "--reserved-ports", "2000,2001", "--ipv6-default-cidr", "fd00:1::/64")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ReservedPorts; len(got) != 2 || got[0] != 2000 || got[1] != 2001 {
		t.Errorf("reserved ports %v, want the flag's [2000 2001]", got)
	}
	if cfg.Enforcement != config.Warn || cfg.IPv6.GuestInterface != "enp1s0" {
		t.Errorf("file values lost: %+v", cfg)
	}
	if cfg.IPv6.DefaultCIDR.String() != "fd00:1::/64" || cfg.IPv6.Inject != config.InjectAuto || cfg.IPv6.PodNetworkIPv6 {
		t.Errorf("ipv6 %+v", cfg.IPv6)
	}

	// Without a file, unset flags are the defaults.
	cfg, err = parse("--ipv6-inject=false", "--enforcement", "deny", "--pod-ips", "10.244.0.5,fd00:10::5")
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.IPv6.Inject = config.InjectNever
	want.IPv6.PodNetworkIPv6 = true
	if cfg.IPv6 != want.IPv6 || cfg.Enforcement != config.Deny || len(cfg.ReservedPorts) != 2 {
		t.Errorf("got %+v, want %+v", cfg, want)
	}

	for args, msg := range map[string]string{
		"--enforcement=block":             `enforcement: "block" is neither`,
		"--ipv6-default-cidr=fd10::":      "--ipv6-default-cidr: \"fd10::\" is not a CIDR",
		"--ipv6-default-cidr=10.0.0.0/24": "is not an IPv6 CIDR",
		"--reserved-ports=0":              "0 is not a port",
		"--ipv6-inject=sometimes":         `ipv6.inject: "sometimes" is not one of auto, always, never`,
		"--pod-ips=10.0.0.1,fd00::/64":    `--pod-ips: "fd00::/64" is not an IP address`,
		"--config=/nonexistent.yaml":      "no such file",
	} {
		if _, err := parse(args); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: err %v, want %q", args, err, msg)
		}
	}
}

func TestCertsCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	s, out, e := runCmd(t, "", "certs", "--dir", dir, "--dns", "vmnet-webhook.vmnet-system.svc", "--ip", "10.1.2.3")
	if s != 0 || e != "" || strings.Count(out, "wrote ") != 3 {
		t.Fatalf("certs: %d %q %q", s, out, e)
	}
	for _, f := range []string{"ca.crt", "tls.crt", "tls.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if s, _, e := runCmd(t, "", "certs"); s != 2 || !strings.Contains(e, "--dir is required") {
		t.Errorf("no dir: %d %q", s, e)
	}
	if s, _, e := runCmd(t, "", "certs", "--dir", dir, "--ip", "nope"); s != 2 || !strings.Contains(e, `"nope" is not an IP address`) {
		t.Errorf("bad ip: %d %q", s, e)
	}
}
