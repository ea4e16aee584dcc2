package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// cmdSafety groups the safety net's commands; today there is one, test.
func cmdSafety(ctx context.Context, args []string, e cmdEnv) error {
	if len(args) == 0 || args[0] != "test" {
		fs := newFlags(e, "safety")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help") {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return nil
		}
		fs.Usage()
		return exitError(2)
	}
	return cmdSafetyTest(ctx, args[1:], e)
}

// cmdSafetyTest prints, for each message read (one a line; empty lines and
// lines starting with # skipped), the tier and the rule that decided:
// TIER<TAB>RULE<TAB>MESSAGE. It uses the rules of the effective
// configuration and exits 1 only when they cannot be loaded.
func cmdSafetyTest(ctx context.Context, args []string, e cmdEnv) error {
	var lang *string
	cfg, fs, err := commandConfig(args, e, "safety", func(fs *flag.FlagSet) {
		lang = fs.String("lang", "en", "the client's `language`; every language's rules are checked, it names the rule on a tie and picks the learned check's model (en, es)")
	})
	if err != nil {
		return err // flag problems exit 2; a config that cannot be read, 1
	}
	var in io.Reader
	switch {
	case fs.NArg() == 0 || fs.NArg() == 1 && fs.Arg(0) == "-":
		in = os.Stdin
	case fs.NArg() == 1:
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("safety test: %w", err)
		}
		defer f.Close()
		in = f
	default:
		fs.Usage()
		return exitError(2)
	}
	// Only the safety keys matter here: the rest of a production config
	// (store and backup paths) need not exist where the rules are tried.
	net, err := safetyNet(cfg)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitError(1)
	}
	out := bufio.NewWriter(e.stdout)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		v := net.Classify(*lang, line)
		fmt.Fprintf(out, "%s\t%s\t%s\n", v.Tier, v.Rule, line)
	}
	if err := sc.Err(); err != nil {
		out.Flush()
		return fmt.Errorf("safety test: read: %w", err)
	}
	return out.Flush()
}
