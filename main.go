// Command kindling is a self-hosted Telegram bot that accompanies people
// through the weeks after a ketamine-assisted therapy session: each day it
// asks a few reflection questions chosen by the days since their last
// session, keeps every answer, and shows them to their integration coach.
//
// main turns signals into a context and runs one subcommand; the
// subcommands live in the cmd_*.go files, the lifecycle of a running bot
// in app.go.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var exit exitError
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "kindling:", err)
		os.Exit(1)
	}
}

// signalStop is why main's context ended: the first SIGINT or SIGTERM.
// again is closed when a second one comes.
type signalStop struct {
	sig   os.Signal
	again chan struct{}
}

func (s *signalStop) Error() string { return "signal " + s.sig.String() }

// signalContext is the one place signals are listened to: the context
// ends at the first SIGINT or SIGTERM with a *signalStop as its cause,
// whose again channel the second one closes.
func signalContext() (context.Context, func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		first := &signalStop{sig: <-sigs, again: make(chan struct{})}
		cancel(first)
		<-sigs
		close(first.again)
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel(context.Canceled)
	}
}

// secondSignal is closed at the second signal when ctx ended at the first
// one; nil (never ready) when ctx ended any other way.
func secondSignal(ctx context.Context) <-chan struct{} {
	var s *signalStop
	if errors.As(context.Cause(ctx), &s) {
		return s.again
	}
	return nil
}

// exitError ends the program with a status and no further message (the
// command already said what was wrong).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// subcommand is one verb of the command line.
type subcommand struct {
	name, usage, about string
	run                func(ctx context.Context, args []string, e cmdEnv) error
}

// cmdEnv is what a subcommand gets from the outside world.
type cmdEnv struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func subcommands() []subcommand {
	return []subcommand{
		{"run", "run [--config FILE]", "run the bot (the default)", cmdRun},
		{"demo", "demo [--days N] [--keep]", "walk one client through a month against a built-in fake Telegram", cmdDemo},
		{"check", "check [DIR]", "validate prompt files", cmdCheck},
		{"preview", "preview [--sequence ID] [--lang LANG] [--days 0-30] [DIR]", "show what a client receives day by day", cmdPreview},
		{"export", "export [--config FILE] [--client ID] [--since DATE] [--format csv|json|fhir] [--out FILE]", "write every answer as CSV or JSON, or the check-ins as FHIR", cmdExport},
		{"audit", "audit [--config FILE] [--since DATE]", "print who viewed which client in the web workspace, and when", cmdAudit},
		{"backup", "backup [--config FILE] FILE", "write a consistent copy of the database", cmdBackup},
		{"salvage", "salvage DAMAGED OUT", "copy every record still readable of a damaged database file into a new one", cmdSalvage},
		{"compact", "compact [--config FILE]", "rewrite the database file, purging erased data (bot stopped)", cmdCompact},
		{"safety", "safety test [--config FILE] [--lang LANG] [FILE|-]", "print the tier and rule the safety net gives each line of FILE", cmdSafety},
		{"config", "config [--config FILE]", "print the effective configuration, secrets masked", cmdConfig},
		{"healthcheck", "healthcheck [--config FILE]", "ask the running bot's /healthz (exit 0 when healthy), for container health checks", cmdHealthcheck},
		{"version", "version", "print the version", cmdVersion},
	}
}

// run is the whole program; tests call it with their own environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := cmdEnv{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		usage(stdout)
		return nil
	}
	name := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	for _, c := range subcommands() {
		if c.name == name {
			return c.run(ctx, args, e)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "kindling: a reflection companion for the weeks after a therapy session")
	fmt.Fprintln(w, "\nUsage: kindling <command> [flags]   (--help after a command for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range subcommands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.about)
	}
}

// newFlags makes a flag set whose --help prints the command's usage.
func newFlags(e cmdEnv, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	for _, c := range subcommands() {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintf(fs.Output(), "Usage: kindling %s\n\n%s\n", c.usage, c.about)
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// parseFlags parses args; --help prints usage to stdout and ends with
// flag.ErrHelp, which main treats as success.
func parseFlags(fs *flag.FlagSet, args []string, e cmdEnv) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return exitError(2)
	}
	return nil
}
