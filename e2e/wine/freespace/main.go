// Command freespace asks GetDiskFreeSpaceExW about a root ("C:\") just before and just
// after running a command, in the same Wine session, and prints both answers with the
// command's exit code and output as one JSON object: the reference e2e/wine holds the
// agent's numbers against, asked independently of the agent.
//
//	freespace ROOT [CMD ARGS...]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// FreeSpace is GetDiskFreeSpaceExW's answer.
type FreeSpace struct {
	FreeBytesAvailableToCaller, TotalNumberOfBytes, TotalNumberOfFreeBytes uint64
}

func ask(root string) FreeSpace {
	var f FreeSpace
	var err error
	f.FreeBytesAvailableToCaller, f.TotalNumberOfBytes, f.TotalNumberOfFreeBytes, err = freeSpace(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "freespace:", err)
		os.Exit(1)
	}
	return f
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, `usage: freespace ROOT [CMD ARGS...] (e.g. C:\)`)
		os.Exit(2)
	}
	out := struct {
		Before, After  FreeSpace
		ExitCode       int
		Stdout, Stderr string
	}{Before: ask(os.Args[1])}
	if len(os.Args) > 2 {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(os.Args[2], os.Args[3:]...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			out.ExitCode = ee.ExitCode()
		case err != nil:
			fmt.Fprintln(os.Stderr, "freespace:", err)
			os.Exit(1)
		}
		out.Stdout, out.Stderr = stdout.String(), stderr.String()
	}
	out.After = ask(os.Args[1])
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
