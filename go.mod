module github.com/sms-agent/sms-agent

go 1.26.8

require golang.org/x/sys v0.50.0

require github.com/google/go-cmp v0.7.0 // indirect
