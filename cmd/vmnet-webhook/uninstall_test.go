package main

import "testing"

// Bad flags are refused before any kubeconfig is read: exit status 2 and
// one line saying what is wrong.
func TestUninstallWebhooksRefusesBadFlags(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--timeout=0s"}, "vmnet-webhook uninstall-webhooks: --timeout must be positive, got 0s\n"},
		{[]string{"--timeout=soon"}, "vmnet-webhook uninstall-webhooks: invalid argument \"soon\" for \"--timeout\" flag: time: invalid duration \"soon\"\n" +
			"Run \"vmnet-webhook uninstall-webhooks --help\" for the flags.\n"},
		{[]string{"--settle=-1s"}, "vmnet-webhook uninstall-webhooks: --settle must not be negative, got -1s\n"},
		{[]string{"--name=Vmnet_Webhook"}, "vmnet-webhook uninstall-webhooks: --name \"Vmnet_Webhook\" is not a valid object name: " +
			"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
			"(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n"},
		{[]string{"vmnet-webhook"}, "vmnet-webhook uninstall-webhooks: unexpected arguments: [vmnet-webhook]\n"},
	} {
		status, stdout, stderr := runCmd(t, "", append([]string{"uninstall-webhooks"}, c.args...)...)
		if status != 2 || stdout != "" || stderr != c.want {
			t.Errorf("%v: exit %d stdout %q\nstderr %q\nwant 2 and %q", c.args, status, stdout, stderr, c.want)
		}
	}
	// A kubeconfig that cannot be read: exit 2, naming it.
	status, _, stderr := runCmd(t, "", "uninstall-webhooks", "--kubeconfig=/nonexistent/kubeconfig")
	if want := "vmnet-webhook uninstall-webhooks: kubeconfig: stat /nonexistent/kubeconfig: no such file or directory\n"; status != 2 || stderr != want {
		t.Errorf("missing kubeconfig: exit %d stderr %q, want 2 and %q", status, stderr, want)
	}
}
