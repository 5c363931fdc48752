//go:build !lite

package main

// subcommands are the agent's commands, in the order help lists them.
func subcommands() []subcommand {
	return []subcommand{
		discoverCommand,
		{name: "capture", summary: "record everything discovery reads into one archive, for bug reports and tests", run: runCapture},
		{name: "check", summary: "preflight: what SMS would refuse or the target would lack, one line each (OK, WARN, ERROR)", run: runCheck},
		{name: "plan", summary: "the target layout task create would send, disk by disk, with source, used and target sizes", run: runPlan},
		{name: "source", summary: "register this host with SMS (source register|show)", run: runSource, group: true},
		{name: "task", summary: "create and inspect SMS migration tasks (task create|show|list)", run: runTask, group: true},
		{name: "service", summary: "run as a system service (service install|uninstall|start|stop|restart|status|run)", run: runService, group: true,
			ownSignals: func(args []string) bool { return len(args) > 0 && args[0] == "run" }},
		{name: "config", summary: "check the config file (config check)", run: runConfig, group: true},
		versionCommand,
		statfsHelperCommand,
	}
}
