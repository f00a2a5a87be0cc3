// Command vmic-tlog-check checks vmic's transparency log output with code that is not
// vmic's: golang.org/x/mod/sumdb/note (C2SP signed-note, Ed25519) and
// golang.org/x/mod/sumdb/tlog (RFC 6962 Merkle tree hashes, inclusion and consistency
// proofs). It is built in GOPATH mode against Debian's golang-golang-x-mod-dev.
//
// Usage:
//
//	vmic-tlog-check note VERIFIER_KEY < NOTE_FILE
//	vmic-tlog-check checkpoint VERIFIER_KEY ORIGIN < NOTE_FILE
//	vmic-tlog-check inclusion SIZE ROOT_B64 INDEX LEAF_DATA_B64 [PROOF_B64...]
//	vmic-tlog-check consistency N ROOT_N_B64 M ROOT_M_B64 [PROOF_B64...]
//	vmic-tlog-check vectors
//
// On success it prints "ok" (note: "ok" then the signed body; checkpoint:
// "ok SIZE ROOT_B64"; vectors: only the JSON document) and exits 0. Any check failure,
// including a malformed argument value or input, prints one line to stderr and exits 1.
// An unknown subcommand or a wrong number of arguments exits 2.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const usage = `usage:
  vmic-tlog-check note VERIFIER_KEY < NOTE_FILE
  vmic-tlog-check checkpoint VERIFIER_KEY ORIGIN < NOTE_FILE
  vmic-tlog-check inclusion SIZE ROOT_B64 INDEX LEAF_DATA_B64 [PROOF_B64...]
  vmic-tlog-check consistency N ROOT_N_B64 M ROOT_M_B64 [PROOF_B64...]
  vmic-tlog-check vectors`

var b64 = base64.StdEncoding.Strict()

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		usageExit("missing subcommand")
	}
	cmd, rest := args[0], args[1:]
	var out string
	var err error
	switch cmd {
	case "note":
		wantArgs(cmd, rest, 1, false)
		out, err = run(func() (string, error) { return cmdNote(rest[0]) })
	case "checkpoint":
		wantArgs(cmd, rest, 2, false)
		out, err = run(func() (string, error) { return cmdCheckpoint(rest[0], rest[1]) })
	case "inclusion":
		wantArgs(cmd, rest, 4, true)
		out, err = run(func() (string, error) { return cmdInclusion(rest) })
	case "consistency":
		wantArgs(cmd, rest, 4, true)
		out, err = run(func() (string, error) { return cmdConsistency(rest) })
	case "vectors":
		wantArgs(cmd, rest, 0, false)
		out, err = run(cmdVectors)
	default:
		usageExit("unknown subcommand " + strconv.Quote(cmd))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, oneLine(cmd+": "+err.Error()))
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

func wantArgs(cmd string, rest []string, n int, orMore bool) {
	if len(rest) == n || orMore && len(rest) > n {
		return
	}
	usageExit(fmt.Sprintf("%s: wrong number of arguments (%d)", cmd, len(rest)))
}

func usageExit(msg string) {
	fmt.Fprintln(os.Stderr, "vmic-tlog-check: "+msg+"\n"+usage)
	os.Exit(2)
}

// run turns a panic inside the libraries into an ordinary failure.
func run(f func() (string, error)) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r", `\r`), "\n", `\n`)
}

func openNote(vkey string) (*note.Note, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %v", err)
	}
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("note.Open: %v", err)
	}
	return n, nil
}

func cmdNote(vkey string) (string, error) {
	n, err := openNote(vkey)
	if err != nil {
		return "", err
	}
	return "ok\n" + n.Text, nil
}

func cmdCheckpoint(vkey, origin string) (string, error) {
	n, err := openNote(vkey)
	if err != nil {
		return "", err
	}
	size, root, err := parseCheckpoint(n.Text, origin)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("ok %d %s\n", size, b64.EncodeToString(root[:])), nil
}

// parseCheckpoint parses a C2SP tlog-checkpoint body: origin, decimal tree size,
// base64 root hash, then optional non-empty extension lines; every line ends in "\n".
func parseCheckpoint(text, origin string) (int64, tlog.Hash, error) {
	if !strings.HasSuffix(text, "\n") {
		return 0, tlog.Hash{}, errors.New("checkpoint: body does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint: %d lines, want at least 3", len(lines))
	}
	if lines[0] == "" {
		return 0, tlog.Hash{}, errors.New("checkpoint: empty origin")
	}
	if lines[0] != origin {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint: origin %q, want %q", lines[0], origin)
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint: tree size: %v", err)
	}
	root, err := parseHash(lines[2])
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint: root hash: %v", err)
	}
	for i, ext := range lines[3:] {
		if ext == "" {
			return 0, tlog.Hash{}, fmt.Errorf("checkpoint: extension line %d is empty", i+1)
		}
	}
	return size, root, nil
}

// parseSize accepts only canonical non-negative decimal: digits, no sign, no leading zeros.
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %v", s, err)
	}
	return n, nil
}

// parseHash decodes canonical standard base64 of exactly 32 bytes.
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	data, err := b64.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("%q: %v", s, err)
	}
	if len(data) != tlog.HashSize {
		return h, fmt.Errorf("%q decodes to %d bytes, want %d", s, len(data), tlog.HashSize)
	}
	copy(h[:], data)
	return h, nil
}

func parseProof(args []string) ([]tlog.Hash, error) {
	proof := make([]tlog.Hash, len(args))
	for i, s := range args {
		h, err := parseHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %v", i, err)
		}
		proof[i] = h
	}
	return proof, nil
}

func cmdInclusion(args []string) (string, error) {
	size, err := parseSize(args[0])
	if err != nil {
		return "", fmt.Errorf("SIZE: %v", err)
	}
	root, err := parseHash(args[1])
	if err != nil {
		return "", fmt.Errorf("ROOT: %v", err)
	}
	index, err := parseSize(args[2])
	if err != nil {
		return "", fmt.Errorf("INDEX: %v", err)
	}
	leaf, err := b64.DecodeString(args[3])
	if err != nil {
		return "", fmt.Errorf("LEAF_DATA: %q: %v", args[3], err)
	}
	proof, err := parseProof(args[4:])
	if err != nil {
		return "", err
	}
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(leaf)); err != nil {
		return "", fmt.Errorf("tlog.CheckRecord(size %d, index %d): %v", size, index, err)
	}
	return "ok\n", nil
}

func cmdConsistency(args []string) (string, error) {
	n, err := parseSize(args[0])
	if err != nil {
		return "", fmt.Errorf("N: %v", err)
	}
	rootN, err := parseHash(args[1])
	if err != nil {
		return "", fmt.Errorf("ROOT_N: %v", err)
	}
	m, err := parseSize(args[2])
	if err != nil {
		return "", fmt.Errorf("M: %v", err)
	}
	rootM, err := parseHash(args[3])
	if err != nil {
		return "", fmt.Errorf("ROOT_M: %v", err)
	}
	proof, err := parseProof(args[4:])
	if err != nil {
		return "", err
	}
	// CheckTree(p, t, th, n, h): the tree of size t with hash th contains as a prefix
	// the tree of size n with hash h (n <= t). Here t = M (newer), n = N (older).
	if err := tlog.CheckTree(proof, m, rootM, n, rootN); err != nil {
		return "", fmt.Errorf("tlog.CheckTree(%d -> %d): %v", n, m, err)
	}
	return "ok\n", nil
}

// memTree is an in-memory tlog.HashReader holding the stored hashes of a log.
type memTree []tlog.Hash

func (t *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(*t)) {
			return nil, fmt.Errorf("hash index %d out of range", x)
		}
		out[i] = (*t)[x]
	}
	return out, nil
}

type inclusionVector struct {
	Size  int64    `json:"size"`
	Index int64    `json:"index"`
	Proof []string `json:"proof"`
}

type consistencyVector struct {
	N     int64    `json:"n"`
	M     int64    `json:"m"`
	Proof []string `json:"proof"`
}

type noteVector struct {
	Vkey string `json:"vkey"`
	Text string `json:"text"`
}

type checkpointVector struct {
	Vkey   string `json:"vkey"`
	Text   string `json:"text"`
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
}

type vectors struct {
	Roots       map[string]string   `json:"roots"`
	Inclusion   []inclusionVector   `json:"inclusion"`
	Consistency []consistencyVector `json:"consistency"`
	Note        noteVector          `json:"note"`
	Checkpoint  checkpointVector    `json:"checkpoint"`
}

const vectorOrigin = "vmic.example/log"

// vectorNoteBody is the fixed body of the Go-signed note in the vectors.
const vectorNoteBody = "vmic transparency log test note\nsigned by golang.org/x/mod/sumdb/note\n"

func hashesB64(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64.EncodeToString(h[:])
	}
	return out
}

func cmdVectors() (string, error) {
	const leaves = 100
	var tree memTree
	for i := int64(0); i < leaves; i++ {
		hs, err := tlog.StoredHashes(i, []byte(fmt.Sprintf("leaf-%d", i)), &tree)
		if err != nil {
			return "", err
		}
		if int64(len(tree)) != tlog.StoredHashIndex(0, i) {
			return "", errors.New("stored hash index mismatch")
		}
		tree = append(tree, hs...)
	}

	v := vectors{Roots: map[string]string{}}
	roots := map[int64]tlog.Hash{}
	for _, k := range []int64{1, 2, 3, 4, 5, 6, 7, 8, 13, 64, 100} {
		h, err := tlog.TreeHash(k, &tree)
		if err != nil {
			return "", err
		}
		roots[k] = h
		v.Roots[strconv.FormatInt(k, 10)] = b64.EncodeToString(h[:])
	}
	for _, size := range []int64{7, 13, 100} {
		for i := int64(0); i < size; i++ {
			p, err := tlog.ProveRecord(size, i, &tree)
			if err != nil {
				return "", err
			}
			v.Inclusion = append(v.Inclusion, inclusionVector{size, i, hashesB64(p)})
		}
	}
	for _, pair := range [][2]int64{{1, 7}, {3, 7}, {4, 8}, {6, 13}, {13, 100}, {64, 100}, {100, 100}} {
		p, err := tlog.ProveTree(pair[1], pair[0], &tree)
		if err != nil {
			return "", err
		}
		v.Consistency = append(v.Consistency, consistencyVector{pair[0], pair[1], hashesB64(p)})
	}

	skey, vkey, err := note.GenerateKey(rand.Reader, vectorOrigin)
	if err != nil {
		return "", err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return "", err
	}
	msg, err := note.Sign(&note.Note{Text: vectorNoteBody}, signer)
	if err != nil {
		return "", err
	}
	v.Note = noteVector{vkey, string(msg)}

	h13 := roots[13]
	root13 := b64.EncodeToString(h13[:])
	cp := fmt.Sprintf("%s\n%d\n%s\n", vectorOrigin, 13, root13)
	msg, err = note.Sign(&note.Note{Text: cp}, signer)
	if err != nil {
		return "", err
	}
	v.Checkpoint = checkpointVector{vkey, string(msg), vectorOrigin, 13, root13}

	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return string(out) + "\n", nil
}
