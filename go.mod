module github.com/sms-agent/sms-agent

go 1.26.8

require (
	github.com/google/go-cmp v0.7.0
	github.com/kardianos/service v1.3.0
	github.com/mattn/go-isatty v0.0.20
	github.com/rs/zerolog v1.35.1
	golang.org/x/sys v0.50.0
)

require github.com/mattn/go-colorable v0.1.14 // indirect
