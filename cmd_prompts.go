package main

import (
	"context"
	"fmt"

	"kindling/prompts"
)

// cmdCheck validates prompt files: every problem and exit 1, or a one-line
// summary and exit 0.
func cmdCheck(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "check")
	lang := fs.String("default-language", "en", "the language other languages fall back to")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	opts := prompts.Options{DefaultLanguage: *lang}
	var (
		set *prompts.Set
		err error
	)
	switch fs.NArg() {
	case 0:
		set, err = prompts.Load(prompts.Embedded(), opts)
	case 1:
		set, err = prompts.LoadDir(fs.Arg(0), opts)
	default:
		fs.Usage()
		return exitError(2)
	}
	if !prompts.Check(e.stdout, set, err) {
		return exitError(1)
	}
	return nil
}

// cmdPreview prints what a client receives, day by day.
func cmdPreview(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "preview")
	seq := fs.String("sequence", "after-session", "the sequence `id`")
	lang := fs.String("lang", "en", "the `language`")
	days := fs.String("days", "0-30", "the `range` of days since the session, e.g. 0-30, 7, or -1-30 from the day before")
	name := fs.String("name", prompts.SampleVars.Name, "the client's name in {name}")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	from, to, err := prompts.ParseDays(*days)
	if err != nil {
		return fmt.Errorf("--days: %w", err)
	}
	opts := prompts.Options{DefaultLanguage: "en"}
	var set *prompts.Set
	switch fs.NArg() {
	case 0:
		set = prompts.Default()
	case 1:
		set, err = prompts.LoadDir(fs.Arg(0), opts)
		if err != nil {
			prompts.Check(e.stderr, set, err)
			return exitError(1)
		}
	default:
		fs.Usage()
		return exitError(2)
	}
	vars := prompts.SampleVars
	vars.Name = *name
	return prompts.Preview(e.stdout, set, prompts.PreviewOptions{Sequence: *seq, Language: *lang, From: from, To: to, Vars: vars})
}
