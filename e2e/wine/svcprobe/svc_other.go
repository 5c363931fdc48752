//go:build !windows

package main

import "errors"

func runService(string) int { return 1 }

func probe() error { return errors.New("Windows only") }
