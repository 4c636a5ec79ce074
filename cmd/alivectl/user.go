package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alived/alived/internal/webauth"
	"golang.org/x/sys/unix"
)

const userUsage = `Usage: alivectl user COMMAND [--users-file PATH]
  add NAME --role viewer|operator|admin [--password-stdin]
                      add a web user; the password is asked for on the terminal,
                      or read from the first line of stdin with --password-stdin
  passwd NAME [--password-stdin]   change a password (ends the user's sessions)
  role NAME ROLE      change a role
  rm NAME             remove a user and their API tokens
  list [--json]       list users, roles and token IDs (never a secret)
  token NAME          create an API token (Authorization: Bearer TOKEN) and print it
                      once: only its hash is kept
  token NAME --revoke ID   delete a token
The daemon reads the users file (default ` + webauth.DefaultUsersFile + `, alived
--web.users-file) again when it changes: no restart is needed.
`

// userCmd is one invocation of alivectl user: it edits the users file
// directly (the daemon only reads it), so it works while alived is down.
type userCmd struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	kdf            webauth.KDFParams
}

// cmdUser runs `alivectl user ...`.
func cmdUser(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	u := &userCmd{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, kdf: webauth.DefaultKDF()}
	return u.run(args)
}

func (u *userCmd) fail(err error) int {
	fmt.Fprintf(u.stderr, "alivectl: user: %v\n", err)
	return exitFailed
}

func (u *userCmd) usage(msg string) int {
	if msg != "" {
		fmt.Fprintf(u.stderr, "alivectl: user: %s\n", msg)
	}
	fmt.Fprint(u.stderr, userUsage)
	return exitUsage
}

func (u *userCmd) run(args []string) int {
	if len(args) == 0 {
		return u.usage("")
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(u.stderr)
	fs.Usage = func() { fmt.Fprint(u.stderr, userUsage) }
	file := fs.String("users-file", webauth.DefaultUsersFile, "users file")
	role := fs.String("role", "", "role")
	stdinPw := fs.Bool("password-stdin", false, "read the password from stdin")
	asJSON := fs.Bool("json", false, "JSON output")
	revoke := fs.String("revoke", "", "token ID to delete")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return exitUsage
	}
	want := map[string]int{"add": 1, "passwd": 1, "role": 2, "rm": 1, "list": 0, "token": 1}
	n, ok := want[sub]
	if !ok {
		return u.usage(fmt.Sprintf("unknown command %q", sub))
	}
	if len(pos) != n {
		return u.usage(fmt.Sprintf("%s takes %d argument(s)", sub, n))
	}
	users, err := webauth.LoadUsersOrEmpty(*file)
	if err != nil {
		return u.fail(err)
	}
	var msg string
	switch sub {
	case "list":
		return u.list(users, *asJSON)
	case "add":
		r, err := webauth.ParseRole(*role)
		if err != nil {
			return u.usage(err.Error() + " (--role is required)")
		}
		if err := webauth.CheckName(pos[0]); err != nil {
			return u.usage(err.Error())
		}
		if users.Find(pos[0]) != nil {
			return u.fail(fmt.Errorf("user %s exists (use passwd or role)", pos[0]))
		}
		pw, err := u.password(*stdinPw)
		if err != nil {
			return u.fail(err)
		}
		if err := users.Add(pos[0], r, pw, u.kdf); err != nil {
			return u.usage(err.Error())
		}
		msg = fmt.Sprintf("added %s (%s)", pos[0], r)
	case "passwd":
		if users.Find(pos[0]) == nil {
			return u.notFound(pos[0])
		}
		pw, err := u.password(*stdinPw)
		if err != nil {
			return u.fail(err)
		}
		if err := users.SetPassword(pos[0], pw, u.kdf); err != nil {
			return u.usage(err.Error())
		}
		msg = "password changed for " + pos[0]
	case "role":
		r, err := webauth.ParseRole(pos[1])
		if err != nil {
			return u.usage(err.Error())
		}
		if users.Find(pos[0]) == nil {
			return u.notFound(pos[0])
		}
		_ = users.SetRole(pos[0], r)
		msg = fmt.Sprintf("%s is now %s", pos[0], r)
	case "rm":
		if err := users.Remove(pos[0]); err != nil {
			return u.notFound(pos[0])
		}
		msg = "removed " + pos[0]
	case "token":
		if users.Find(pos[0]) == nil {
			return u.notFound(pos[0])
		}
		if *revoke != "" {
			if err := users.RevokeToken(pos[0], *revoke); err != nil {
				fmt.Fprintf(u.stderr, "alivectl: user: %v\n", err)
				return exitNotFound
			}
			msg = "revoked token " + *revoke + " of " + pos[0]
			break
		}
		tok, err := users.NewToken(pos[0], u.now())
		if err != nil {
			return u.fail(err)
		}
		if err := users.Save(*file); err != nil {
			return u.fail(err)
		}
		fmt.Fprintf(u.stderr, "token for %s (shown once; only its hash is kept):\n", pos[0])
		fmt.Fprintln(u.stdout, tok)
		return exitOK
	}
	if err := users.Save(*file); err != nil {
		return u.fail(err)
	}
	fmt.Fprintln(u.stdout, msg)
	return exitOK
}

func (u *userCmd) notFound(name string) int {
	fmt.Fprintf(u.stderr, "alivectl: user: no user %s\n", name)
	return exitNotFound
}

// list prints users without any secret: names, roles, whether a
// password is set, token IDs.
func (u *userCmd) list(users *webauth.Users, asJSON bool) int {
	type row struct {
		Name     string   `json:"name"`
		Role     string   `json:"role"`
		Password bool     `json:"password"`
		Tokens   []string `json:"tokens"`
	}
	rows := []row{}
	for _, us := range users.Users {
		r := row{Name: us.Name, Role: string(us.Role), Password: us.PasswordHash != "", Tokens: []string{}}
		for _, t := range us.Tokens {
			r.Tokens = append(r.Tokens, t.ID)
		}
		rows = append(rows, r)
	}
	if asJSON {
		enc := json.NewEncoder(u.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return exitFailed
		}
		return exitOK
	}
	if len(rows) == 0 {
		fmt.Fprintln(u.stdout, "no users: the web UI and API are off (alivectl user add NAME --role admin)")
		return exitOK
	}
	tw := tabwriter.NewWriter(u.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLE\tPASSWORD\tTOKENS")
	for _, r := range rows {
		pw := "no"
		if r.Password {
			pw = "yes"
		}
		toks := strings.Join(r.Tokens, ",")
		if toks == "" {
			toks = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Role, pw, toks)
	}
	_ = tw.Flush()
	return exitOK
}

// password reads a new password: the first line of stdin with
// --password-stdin, else twice from the terminal without echo.
func (u *userCmd) password(fromStdin bool) (string, error) {
	br := bufio.NewReader(u.stdin)
	if fromStdin {
		line, err := br.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := u.stdin.(*os.File)
	if !ok {
		return "", errors.New("stdin is not a terminal: give the password with --password-stdin")
	}
	old, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return "", errors.New("stdin is not a terminal: give the password with --password-stdin")
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON | unix.ECHONL
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, &noEcho); err != nil {
		return "", fmt.Errorf("terminal: %w", err)
	}
	defer func() { _ = unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, old) }()
	read := func(prompt string) (string, error) {
		fmt.Fprint(u.stderr, prompt)
		line, err := br.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw, err := read("New password: ")
	if err != nil {
		return "", err
	}
	again, err := read("Repeat it: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the passwords differ; nothing changed")
	}
	return pw, nil
}
