package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"kindling/config"
	"runtime/debug"
)

// configFlag adds --config and reports whether it was given.
func configFlag(fs *flag.FlagSet) (path *string, explicit func() bool) {
	path = fs.String("config", "config.yaml", "the configuration `file`")
	return path, func() bool {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "config" })
		return given
	}
}

// commandConfig parses a command's flags (--config plus those extra
// adds) and loads the configuration it names.
func commandConfig(args []string, e cmdEnv, name string, extra func(fs *flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	fs := newFlags(e, name)
	path, explicit := configFlag(fs)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, e); err != nil {
		return config.Config{}, fs, err
	}
	cfg, err := loadConfig(*path, explicit(), e.getenv)
	return cfg, fs, err
}

// loadConfig reads the config for a subcommand: an explicit --config must
// exist; the default ./config.yaml may be absent (defaults apply).
func loadConfig(path string, explicit bool, getenv func(string) string) (config.Config, error) {
	cfg, err := config.Load(path, getenv)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		cfg, err = config.Load("", getenv)
	}
	if err != nil {
		return cfg, fmt.Errorf("config:\n%w", err)
	}
	return cfg, nil
}

// cmdConfig prints the effective configuration with secrets masked.
func cmdConfig(ctx context.Context, args []string, e cmdEnv) error {
	cfg, _, err := commandConfig(args, e, "config", nil)
	if err != nil {
		return err
	}
	return config.Write(e.stdout, cfg.Masked())
}

func cmdVersion(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "version")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "kindling", version())
	return nil
}

// version is the module version and VCS revision from the build info.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " " + rev[:min(12, len(rev))] + modified
	}
	return v + " " + info.GoVersion
}
