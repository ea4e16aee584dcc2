// Package prompts reads the reflection questions coaches write in YAML: it loads
// and validates a directory of sequences and the bot's own messages, picks the
// step for a day since a session, renders placeholders, reloads the directory
// live, and prints what `kindling check` and `kindling preview` show.
//
// # Basics
//
// A directory holds *.yaml / *.yml files (hidden files, editor backups ending
// in "~" and subdirectories are ignored). A file whose top level has a
// `messages:` key holds the bot's own words for one language, one whose top
// level has a `check_in:` key is a scored check-in (an Instrument) in one
// language, and every other file is one sequence in one language. See sequences/after-session.en.yaml for the
// sequence schema, written for coaches, and sequences/messages.en.yaml for the
// messages schema.
//
// Load and LoadDir report every problem at once as a *LoadError; each Problem
// names file, line and field. Warnings (for example a day present in one
// language of a sequence and missing in another) never fail a load. A Set is
// immutable once loaded and safe for concurrent use; Watcher swaps whole sets.
//
// Active is the set a bot runs on: the built-in set, or a folder's, watched.
// Each good set of the folder is handed to a Keeper (kindling's database), and
// a start on a folder with errors runs on the set kept last until the folder
// loads again. The Keeper is an interface, so this package never reaches the
// database itself.
//
// # Caveats
//
// Text limits are checked after rendering each placeholder at its longest:
// Render clips every value to its budget (see MaxVarLen), so a text that passes
// validation always fits Telegram's 4096 characters (counted, as Telegram
// does, in UTF-16 code units). Each text must fit on its own, and so must a
// step's intro, its first question and that question's scale labels together,
// because the bot sends them as one message.
//
// Button data is checked against what the bot sends: "a|<question id>|<option
// id or number>" must fit in MaxButtonData bytes, leaving 10 of Telegram's 64
// bytes for the bot's delivery tag.
//
// Question, day, option and sequence ids are stored with every answer: the
// package cannot tell a renamed id from a new one, so keep ids stable.
//
// YAML anchors and aliases are rejected: they buy coaches little and are the
// vehicle of "billion laughs" expansion attacks.
//
// This package must never import other kindling packages, touch the network or
// the database, or panic on any input read from disk.
package prompts
