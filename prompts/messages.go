package prompts

// MessageKeys are the keys every messages file of the default language must
// define; files in other languages get a warning for each one they miss (the
// default language fills in). To add a message, add its key here and its text
// to every sequences/messages.*.yaml.
var MessageKeys = []string{
	"welcome",             // first contact: what kindling is and is not, where to turn in a crisis
	"consent_ask",         // asks to store answers and share them with the coach
	"consent_yes_button",  // button label
	"consent_no_button",   // button label
	"consent_declined",    // after "no": nothing stored, how to change one's mind
	"ask_timezone",        // asks for an IANA time zone or a city
	"timezone_invalid",    // the time zone was not understood
	"ask_time",            // asks for the usual time of day for questions
	"time_invalid",        // the time was not understood
	"ask_session",         // asks for the date of the last session
	"session_invalid",     // the date was not understood or does not exist ("31 Feb")
	"setup_done",          // setup finished: {time} {timezone} {date}
	"help",                // the commands
	"ack_answer",          // after a button or a short text answer
	"ack_journal",         // after a longer written answer
	"ack_voice",           // after a voice note
	"step_done",           // the closing line of a day when its step has none
	"reminder",            // the one gentle reminder
	"unknown_command",     // a command kindling does not know
	"unsupported_message", // a sticker, a photo, ...
	"group_chat",          // kindling was added to a group
	"session_logged",      // a new session date was logged: {date}
	"today_nothing",       // /today on a day with no questions
	"today_already",       // /today when today's questions were already answered
	"time_set",            // the usual time changed: {time}
	"timezone_set",        // the time zone changed: {timezone}
	"paused",              // paused without an end
	"paused_until",        // paused until {until}
	"resumed",             // questions start again
	"stopped",             // /stop: no more questions, data kept until /forget
	"already_answered",    // a button of a question already answered
	"old_question",        // a button of a question from an earlier day
	"too_long",            // an answer over the length kindling keeps
	// Added with the conversation, coach and client-data features.
	"welcome_back",
	"not_started",
	"today_button",
	"yesterday_button",
	"done_button",
	"choose_first",
	"today_open",
	"session_future",
	"session_too_old",
	"session_no_such_day",
	"pause_invalid",
	"intention_ask",
	"intention_too_long",
	"intention_set",
	"forget_ask",
	"forget_yes_button",
	"forget_no_button",
	"forget_done",
	"forget_kept",
	"forget_nothing",
	"forget_stale",
	"mydata_archive", // /mydata: the zip file's caption
	"mydata_parts",   // added to it when the archive comes in several parts
	"mydata_failed",  // the archive could not be written (a full disk)
	"progress_empty",
	"progress_caption",
	"letter_caption",
	"sessions_none",
	"sessions_list",
	"session_removed",
	"session_gone",
	"plan_intro",
	"plan_done",
	"invite_needed",
	"invite_invalid",
	"invite_used",
	"invite_expired",
	"invite_move_ask",
	"invite_move_yes",
	"invite_move_no",
	"invite_moved",
	"invite_move_kept",
	"alert_low_mood",
	"coach_alert",
	"crisis_reaching",
	"crisis_reaching_team",
	"crisis_told_coach",
	"crisis_told_team",
	"check_question",
	"check_lines",
	"check_yes",
	"check_no",
	"check_rather_not",
	"check_no_reply",
	"check_answered",
	"check_pending",
	"group_crisis",
	"alert_check_head",
	"alert_check_yes",
	"alert_check_rather_not",
	"alert_check_timeout",
	"alert_from_group",
	"alert_words",
	"alert_escalated_unreached",
	"alert_escalated_unacknowledged",
	"alert_ack",
	"alert_resolve",
	"alert_ack_thanks",
	"alert_taken",
	"alert_resolved_by",
	"alert_already_taken",
	"alert_already_resolved",
	"alert_gone",
	"alert_not_yours",
	"alert_note_ask",
	"alert_note_kept",
	"alert_note_none",
	"alert_note_how",
	"coach_alerts",
	"coach_no_alerts",
	"coach_help",
	"coach_invite",
	"coach_clients",
	"coach_no_clients",
	"coach_which_client",
	"coach_no_client",
	"coach_choose_client",
	"coach_journal",
	"coach_journal_empty",
	"coach_journal_entry",
	"coach_edited",
	"coach_export",
	"coach_reload_ok",
	"coach_reload_failed",
	"coach_reload_builtin",
	"coach_prompts_broken",
	"coach_database_damaged", // the database file has pages that cannot be read
	"coach_digest",
	"coach_digest_footer",
	// A client's month without rough edges.
	"today_stopped",        // /today after /stop: how to come back
	"today_later",          // /today before a step written for its hour: {time}
	"session_earlier",      // a session before the latest was logged: {date} {latest}
	"session_count_button", // button: count from the earlier session
	"session_keep_button",  // button: keep counting from the latest
	"session_counts",       // the days now count from {date}
	"session_kept",         // the days still count from {latest}
	"session_remove_ask",   // /sessions asks before removing: {date} {intention}
	"session_remove_yes",   // button label
	"session_remove_no",    // button label
	"session_remove_kept",  // nothing was removed
	"ack_brief",            // after a one-word or emoji-only journal entry
	"ack_heavy",            // after crying or heartbreak emoji only
	"coach_which_export",   // /export without a client
	"alert_unstored",       // to coaches: crisis words kindling could not store
	// Sessions logged ahead of time.
	"session_planned",          // the client logged a session still to come: {date}
	"setup_done_planned",       // setup finished, the session still to come: {time} {timezone} {date}
	"session_too_far",          // a session more than half a year ahead
	"session_planned_by_coach", // to the client: their coach logged their next session: {coach} {date}
	"coach_session_usage",      // /session for coaches: how to log a client's next session
	"coach_session_planned",    // to the coach: {name}'s next session is logged: {date}
	"coach_session_past",       // to the coach: that date is not to come for {name}: {date}
	// The command menus (setMyCommands): one line each, at most 256
	// characters, for clients and, in each coach's own chat, for coaches.
	"menu_today",         // the command menu: /today
	"menu_session",       // the command menu: /session
	"menu_time",          // the command menu: /time
	"menu_timezone",      // the command menu: /timezone
	"menu_pause",         // the command menu: /pause
	"menu_resume",        // the command menu: /resume
	"menu_intention",     // the command menu: /intention
	"menu_safetyplan",    // the command menu: /safetyplan
	"menu_progress",      // the command menu: /progress
	"menu_sessions",      // the command menu: /sessions
	"menu_mydata",        // the command menu: /mydata
	"menu_stop",          // the command menu: /stop
	"menu_forget",        // the command menu: /forget
	"menu_help",          // the command menu: /help
	"menu_coach_invite",  // the coach's command menu: /invite
	"menu_coach_clients", // the coach's command menu: /clients
	"menu_coach_session", // the coach's command menu: /session
	"menu_coach_journal", // the coach's command menu: /journal
	"menu_coach_export",  // the coach's command menu: /export
	"menu_coach_alerts",  // the coach's command menu: /alerts
	"menu_coach_note",    // the coach's command menu: /note
	"menu_coach_reload",  // the coach's command menu: /reload
	"menu_coach_help",    // the coach's command menu: /help
	"menu_coach_web",     // the coach's command menu: /web
	// The coach's web workspace (/web).
	"web_link",        // the one-time login link's message; the link is its button
	"web_button",      // the button that opens the workspace
	"web_off",         // /web when the workspace is not turned on
	"web_signed_out",  // /web logout ended the coach's sessions
	"web_no_sessions", // /web logout with no session to end
	// Dates for people, in each language (see dates.go).
	dateWeekdays,
	dateMonths,
	dateShort,
	dateLong,
}

// Messages are the bot's own words in one language, by key.
type Messages map[string]string

// Text renders the message key with v. A missing key returns the key itself,
// so the gap shows instead of an empty message (validation keeps the default
// language complete, so this only happens for a key missing from MessageKeys).
func (m Messages) Text(key string, v Vars) string {
	s, ok := m[key]
	if !ok {
		return key
	}
	return Render(s, v)
}
