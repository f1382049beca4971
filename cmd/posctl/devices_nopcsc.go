//go:build !pcsc

package main

import "context"

// listReaders has no PC/SC in this build.
func listReaders() ([]readerInfo, error) { return nil, errNoPCSC }

// probeReader has no PC/SC in this build.
func probeReader(context.Context, string) (string, error) { return "", errNoPCSC }
