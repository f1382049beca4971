// Package app is the merchant application: the idle screen, the menus, amount entry,
// card prompts and result screens, driven by hal.Keypad and hal.Display over
// internal/txn. The same code runs on a real terminal, in `make run` and in scenario
// files. It never imports a concrete device driver, the journal or the network.
package app
