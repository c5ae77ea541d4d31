package guest

import (
	"os/exec"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// start runs argv through the harness (its own process group, killed by the
// kernel with the test binary, stopped with everything else on SIGINT or
// SIGTERM), its output appended to logPath.
func start(name, logPath string, argv ...string) (*framework.Process, error) {
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, err
	}
	return framework.StartProcess(name, bin, argv[1:], nil, logPath)
}

// exited says whether p has ended.
func exited(p *framework.Process) bool {
	done, _ := p.Exited()
	return done
}
