package app

import (
	"errors"
	"flag"
)

// parseOneArg parses a command's flags and its one argument (a file), with
// flags before or after it; usage is the error when there is not exactly one.
func parseOneArg(fs *flag.FlagSet, args []string, usage string) (string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		return "", errors.New(usage)
	}
	return rest[0], nil
}
