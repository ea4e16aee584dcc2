// Package web is the coach's web workspace: their clients at a glance, a
// client's month, the safety alerts, the prompt files with live checking,
// and exports, served as plain HTML pages by the running kindling.
//
// The only way in is a one-time link a coach gets from the bot with /web;
// it opens a session stored in the database. Every page with client data
// checks that the client is the coach's own (another coach's client is
// 404), is sent with Cache-Control: no-store, and a view of a client's
// records is recorded for `kindling audit`. Forms carry a CSRF token; the
// Content-Security-Policy allows no inline script and no framing; a Host
// that is neither web.base_url's nor loopback is refused.
//
// It must never log a client's words, show a client to a coach who did
// not invite them, or write a prompt file that does not load.
package web
