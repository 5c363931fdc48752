package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Command is one invocation of an external tool.
type Command struct {
	Argv    []string      // argv[0] is the tool's name ("blkid"), looked up in the runner's search path
	Env     []string      // extra KEY=VALUE pairs on top of the runner's base environment
	Timeout time.Duration // 0: DefaultCommandTimeout
	// Complete, when set, says whether the stdout printed so far is the whole answer.
	// Once it is, ExecRunner returns at once, without waiting for the process to exit
	// (it is still reaped in the background). lvm needs this: it finishes printing its
	// report tens of milliseconds before it exits, while the kernel tears down its AIO
	// context. Such a result has Early set and no exit code. Complete is called with
	// the output after each write; it must be cheap on a partial answer.
	Complete func(stdout []byte) bool
}

// DefaultCommandTimeout bounds a command that sets no timeout of its own.
const DefaultCommandTimeout = 10 * time.Second

// Result is what a command printed and how it ended. Stdout, stderr and the exit
// code are kept apart: tools such as lvm print diagnostics on stderr and still exit 0.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	// Early: Command.Complete accepted the output before the process exited, so
	// ExitCode (0) is not the process's; Stderr holds what it printed until then.
	Early bool
}

// Runner runs external commands.
type Runner interface {
	Run(ctx context.Context, c Command) (Result, error)
}

// ErrToolUnavailable: the tool is not installed (or, when replaying, was not recorded).
var ErrToolUnavailable = errors.New("tool not available")

// ErrTimeout: the command did not finish in time and was abandoned.
var ErrTimeout = errors.New("timed out")

// ExitError is returned when a command exits non-zero. The Result is returned too.
type ExitError struct {
	Argv   []string
	Code   int
	Stderr string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", strings.Join(e.Argv, " "), e.Code)
	if s := firstLine(e.Stderr); s != "" {
		msg += fmt.Sprintf(": %q", s)
	}
	return msg
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// ExecRunner runs commands on the live host. The base environment is exactly Env
// (cmd/ sets LC_ALL=C and a PATH); tools are looked up in SearchPath only.
type ExecRunner struct {
	SearchPath []string
	Env        []string
	Spawned    func(argv []string) // see LiveEnv.Spawned; nil: nothing
}

// DefaultSearchPath is where ExecRunner looks for tools when SearchPath is empty.
var DefaultSearchPath = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// LookPath finds the tool name in the runner's search path.
func (r ExecRunner) LookPath(name string) (string, error) {
	if strings.ContainsRune(name, '/') {
		if isExecutable(name) {
			return name, nil
		}
		return "", fmt.Errorf("%s: %w", name, ErrToolUnavailable)
	}
	dirs := r.SearchPath
	if len(dirs) == 0 {
		dirs = DefaultSearchPath
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, ErrToolUnavailable)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// lockedBuffer lets a command's output be read while an abandoned child may still write.
// With complete set, it closes completed once complete accepts what was written.
type lockedBuffer struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	complete  func([]byte) bool
	completed chan struct{}
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writeLocked(p)
	return len(p), nil
}

// writeLocked appends p; the caller holds b.mu.
func (b *lockedBuffer) writeLocked(p []byte) {
	if b.buf.Len() > MaxFileSize*4 {
		return // keep running; drop the excess
	}
	b.buf.Write(p)
	if b.complete != nil && b.complete(b.buf.Bytes()) {
		close(b.completed)
		b.complete = nil
	}
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// Run starts the command and waits for it up to its timeout. A command that does not
// finish is killed; if it cannot even be reaped (a child stuck in uninterruptible
// sleep), it is abandoned so that the agent itself never hangs.
func (r ExecRunner) Run(ctx context.Context, c Command) (Result, error) {
	if len(c.Argv) == 0 {
		return Result{}, errors.New("run: empty command")
	}
	bin, err := r.LookPath(c.Argv[0])
	if err != nil {
		return Result{ExitCode: -1}, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	var stdout, stderr lockedBuffer
	cmd := exec.Command(bin, c.Argv[1:]...)
	cmd.Env = append(append([]string{}, r.Env...), c.Env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// With Complete, stderr goes through a pipe of our own, so that when stdout is
	// complete everything printed on stderr before it can be taken in too.
	var errPipe *stderrPipe
	if c.Complete != nil {
		p, w, err := newStderrPipe(&stderr)
		if err == nil {
			stdout.complete, stdout.completed = c.Complete, make(chan struct{})
			errPipe, cmd.Stderr = p, w
		}
	}
	cmd.Stdin = nil
	err = startChild(cmd, r.Spawned)
	if errPipe != nil {
		cmd.Stderr.(io.Closer).Close() // the child has its own copy of the write end
	}
	if err != nil {
		if errPipe != nil {
			errPipe.close()
		}
		return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", strings.Join(c.Argv, " "), err)
	}
	done := make(chan error, 1)
	if errPipe != nil {
		go errPipe.copy()
		go func() {
			err := cmd.Wait()
			<-errPipe.done // stderr read to its end before the exit is reported
			done <- err
		}()
	} else {
		go func() { done <- cmd.Wait() }()
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err = <-done:
	case <-stdout.completed: // nil channel without Complete: never ready
		errPipe.sync()
		return Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Early: true}, nil
	case <-timer.C:
		killProcessGroup(cmd)
		select {
		case <-done:
		case <-time.After(200 * time.Millisecond):
		}
		return Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: -1},
			fmt.Errorf("run %s: %w after %s", strings.Join(c.Argv, " "), ErrTimeout, timeout)
	case <-ctx.Done():
		killProcessGroup(cmd)
		return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", strings.Join(c.Argv, " "), ctx.Err())
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
		return res, &ExitError{Argv: c.Argv, Code: res.ExitCode, Stderr: string(res.Stderr)}
	}
	if err != nil {
		res.ExitCode = -1
		return res, fmt.Errorf("run %s: %w", strings.Join(c.Argv, " "), err)
	}
	return res, nil
}

// CommandOutput is a command's answer as a capture holds it.
type CommandOutput struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exit_code"`
	Early    bool   `json:"-"` // see Result.Early; never recorded (a recording waits for the exit)
}

// CommandProbe runs an external command. The key is the full argv; a non-zero exit is
// an answer (its exit code), not an error. Through ProbeRunner, an unrecorded command
// behaves like a tool that is not installed.
var CommandProbe = Probe[Command, CommandOutput]{
	Name: "command",
	Key:  func(c Command) any { return c.Argv },
	Live: liveCommands,
}

func liveCommands(ctx context.Context, env LiveEnv, cs []Command) []Answer[CommandOutput] {
	r := ExecRunner{SearchPath: env.SearchPath, Env: env.Env, Spawned: env.Spawned}
	out := make([]Answer[CommandOutput], len(cs))
	for i, c := range cs {
		if env.Recording {
			c.Complete = nil // wait for the exit: keep the real exit code and all of stderr
		}
		res, err := r.Run(ctx, c)
		var ee *ExitError
		if errors.As(err, &ee) {
			err = nil // the exit code is in the answer
		}
		out[i] = Answer[CommandOutput]{Value: CommandOutput{Stdout: string(res.Stdout), Stderr: string(res.Stderr),
			ExitCode: res.ExitCode, Early: res.Early}, Err: err}
	}
	return out
}

// ProbeRunner runs commands through a Prober: live, recorded or replayed.
type ProbeRunner struct{ P Prober }

// Run asks CommandProbe. A non-zero exit comes back as an *ExitError with the Result.
func (r ProbeRunner) Run(ctx context.Context, c Command) (Result, error) {
	if len(c.Argv) == 0 {
		return Result{}, errors.New("run: empty command")
	}
	out, err := Ask(ctx, r.P, CommandProbe, c)
	res := Result{Stdout: []byte(out.Stdout), Stderr: []byte(out.Stderr), ExitCode: out.ExitCode, Early: out.Early}
	switch {
	case errors.Is(err, ErrNotRecorded):
		return Result{ExitCode: -1}, fmt.Errorf("%s: %w (not recorded)", c.Argv[0], ErrToolUnavailable)
	case err != nil:
		if res.ExitCode == 0 {
			res.ExitCode = -1
		}
		return res, err
	case res.ExitCode != 0:
		return res, &ExitError{Argv: c.Argv, Code: res.ExitCode, Stderr: out.Stderr}
	}
	return res, nil
}

// RecordedCommand is one command's outcome as captures before version 2 kept it (the
// manifest's "commands" list).
type RecordedCommand struct {
	Argv     []string `json:"argv"`
	Stdout   string   `json:"stdout"`
	Stderr   string   `json:"stderr"`
	ExitCode int      `json:"exit_code"`
	// Error is "" (ran, see ExitCode), "unavailable" or "timeout".
	Error string `json:"error,omitempty"`
}

// record converts a version 1 command into a CommandProbe record.
func (rc RecordedCommand) record() (ProbeRecord, error) {
	var err error
	switch rc.Error {
	case "unavailable":
		err = fmt.Errorf("%s: %w", firstArg(rc.Argv), ErrToolUnavailable)
	case "timeout":
		err = fmt.Errorf("run %s: %w", strings.Join(rc.Argv, " "), ErrTimeout)
	}
	return ProbeRecordOf(CommandProbe, Command{Argv: rc.Argv},
		CommandOutput{Stdout: rc.Stdout, Stderr: rc.Stderr, ExitCode: rc.ExitCode}, err)
}

func firstArg(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	return argv[0]
}

// NewReplayRunner answers commands from recorded outcomes, keyed by the full argv; an
// unrecorded command behaves like a tool that is not installed.
func NewReplayRunner(cmds []RecordedCommand) Runner {
	return ProbeRunner{P: replayV1(CommandProbe.Name, cmds, RecordedCommand.record)}
}
