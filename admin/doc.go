// Package admin is the operator's HTTP side of kindling: the Server that
// answers on admin.listen (/healthz and /metrics for anyone who reaches
// it; /backup and /export only with the admin token; nothing at all to a
// request whose Host is not this machine's loopback or an allowed host),
// the Client that `kindling backup`, `export`, `audit` and `healthcheck`
// use to ask a running kindling (Client.Run does such a command through
// it, or on the database file when no kindling answers), and the admin
// token file beside the database.
//
// The Server knows the running program only through the small interfaces
// in Options: health facts, a backup writer, an export writer and a
// metrics handler. It must never import the main package or the bot,
// never take the Config struct, never write the token to a log line, and
// never answer /backup or /export without the token: what they stream is
// every client's words.
package admin
