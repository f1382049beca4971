module countertop

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/creack/pty v1.1.24 // indirect
	github.com/ebfe/scard v0.0.0-20241214075232-7af069cabc25 // indirect
	github.com/emmansun/gmsm v0.29.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/moov-io/bertlv v0.1.0 // indirect
	github.com/moov-io/iso8583 v0.26.1 // indirect
	github.com/yerden/go-util v1.1.4 // indirect
	go.bug.st/serial v1.8.0 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
