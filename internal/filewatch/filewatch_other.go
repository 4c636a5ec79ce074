//go:build !linux

package filewatch

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// DefaultPoll is how often a missing directory is looked for.
const DefaultPoll = 5 * time.Second

// Options configure a Watcher.
type Options struct {
	Poll   time.Duration
	Logger *slog.Logger
}

// Watcher needs inotify; elsewhere New fails and callers poll.
type Watcher struct{}

// New reports that file watching needs Linux.
func New(Options) (*Watcher, error) { return nil, errors.New("filewatch: inotify needs Linux") }

// Add is never reached: New fails.
func (w *Watcher) Add(string, func()) func() { return func() {} }

// Run returns at once.
func (w *Watcher) Run(context.Context) error { return nil }

// Close does nothing.
func (w *Watcher) Close() error { return nil }
