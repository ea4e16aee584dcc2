package store

import "time"

// Status says whether a client is being prompted.
type Status string

// The states a client can be in.
const (
	StatusActive      Status = "active"      // prompted every day
	StatusPaused      Status = "paused"      // not prompted until PausedUntil (zero: until /resume)
	StatusStopped     Status = "stopped"     // asked to stop; data kept until forgotten
	StatusUnreachable Status = "unreachable" // blocked the bot, or "chat not found" for a day
)

// Client is one person in a private chat with kindling. Nothing is stored
// about a person before ConsentAt is set.
type Client struct {
	ChatID      int64     `json:"chat_id"`
	UserID      int64     `json:"user_id"`
	Name        string    `json:"name"`
	Username    string    `json:"username,omitempty"`
	Language    string    `json:"language"`  // Telegram language_code, e.g. "en"
	TimeZone    string    `json:"time_zone"` // IANA name, e.g. "Europe/Berlin"
	SendTime    string    `json:"send_time"` // "HH:MM", local to TimeZone
	Sequence    string    `json:"sequence"`  // prompt sequence id
	Status      Status    `json:"status"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	Coach       int64     `json:"coach,omitempty"` // Telegram user id of the coach who invited them
	ConsentAt   time.Time `json:"consent_at"`
	CreatedAt   time.Time `json:"created_at"`

	// ChatNotFoundAt is when Telegram first answered "chat not found" for
	// this chat since a message last reached it; zero when it has not.
	// The client is marked unreachable only if it still answers so a day
	// later: Telegram says it now and then of chats that exist.
	ChatNotFoundAt time.Time `json:"chat_not_found_at,omitzero"`

	// Due is the next moment the schedule must look at this client (a step
	// or a reminder). It is mirrored in the due index; zero means never.
	Due time.Time `json:"due,omitzero"`

	// Setup is the onboarding question still open after consent
	// ("timezone", "time", "session"), empty once onboarding is done.
	Setup string `json:"setup,omitempty"`
	// Flow and FlowData hold a multi-message exchange in progress, such as
	// writing a safety plan; empty when none is.
	Flow     string            `json:"flow,omitempty"`
	FlowData map[string]string `json:"flow_data,omitempty"`

	// SafetyPlan is the client's own plan in their words, keyed by part
	// ("warning_signs", "coping", "people_places", "contacts").
	SafetyPlan map[string]string `json:"safety_plan,omitempty"`
}

// Session is a therapy session the client logged.
type Session struct {
	ChatID    int64     `json:"chat_id"`
	Date      string    `json:"date"` // "2006-01-02", the client's local date
	Note      string    `json:"note,omitempty"`
	Intention string    `json:"intention,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// DeliveryState is where a day's step stands.
type DeliveryState string

// The states of a delivery.
const (
	DeliveryOpen   DeliveryState = "open"   // questions still being asked
	DeliveryDone   DeliveryState = "done"   // every question answered
	DeliveryClosed DeliveryState = "closed" // a later step started; late answers still kept
)

// Delivery is one step of a sequence given to one client on one local
// date: the outbox row written before anything is sent.
type Delivery struct {
	ChatID      int64             `json:"chat_id"`
	LocalDate   string            `json:"local_date"` // "2006-01-02" in the client's zone
	Day         int               `json:"day"`        // days since SessionDate
	SessionDate string            `json:"session_date"`
	Sequence    string            `json:"sequence"`
	Language    string            `json:"language"`
	Questions   []string          `json:"questions"`          // question ids, in the order asked
	Next        int               `json:"next"`               // index of the open question; len(Questions) when all are answered
	Messages    map[string]int    `json:"messages,omitempty"` // question id -> Telegram message id
	Asked       map[string]string `json:"asked,omitempty"`    // question id -> the text exactly as sent
	State       DeliveryState     `json:"state"`
	Manual      bool              `json:"manual,omitempty"` // asked for with /today
	CreatedAt   time.Time         `json:"created_at"`
	SentAt      time.Time         `json:"sent_at,omitzero"`
	Reminded    bool              `json:"reminded,omitempty"`
}

// Reply is one answer (or a journal entry when QuestionID is empty).
type Reply struct {
	ID          uint64    `json:"id"` // assigned by the store, increasing
	ChatID      int64     `json:"chat_id"`
	At          time.Time `json:"at"`
	LocalDate   string    `json:"local_date,omitempty"`   // of the delivery answered
	Day         int       `json:"day"`                    // days since SessionDate
	SessionDate string    `json:"session_date,omitempty"` // of the delivery answered
	QuestionID  string    `json:"question_id,omitempty"`
	Question    string    `json:"question,omitempty"` // the text exactly as it was asked
	Kind        string    `json:"kind"`               // "text", "scale", "choice", "voice", "journal"
	Answer      string    `json:"answer"`
	Value       *int      `json:"value,omitempty"` // the number pressed on a scale
	// CheckIn, Option and Score are set on the answer to an item of a
	// scored check-in: the check-in's id, the option's id and its score.
	CheckIn   string `json:"check_in,omitempty"`
	Option    string `json:"option,omitempty"`
	Score     *int   `json:"score,omitempty"`
	MessageID int    `json:"message_id,omitempty"`
	Voice     *Voice `json:"voice,omitempty"`
	Edits     []Edit `json:"edits,omitempty"` // earlier versions, oldest first
	Flagged   bool   `json:"flagged,omitempty"`
}

// Voice is a voice note kept as an answer.
type Voice struct {
	FileID   string `json:"file_id"`
	Path     string `json:"path,omitempty"` // where the audio was saved, relative to the data folder
	Duration int    `json:"duration"`       // seconds
	Size     int64  `json:"size,omitempty"`
}

// Edit is an earlier version of an answer the client has since edited.
type Edit struct {
	At     time.Time `json:"at"`
	Answer string    `json:"answer"`
}

// Invite is a one-time enrolment code a coach hands to a client.
type Invite struct {
	Code      string    `json:"code"`
	Coach     int64     `json:"coach"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedBy    int64     `json:"used_by,omitempty"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// Button is one inline keyboard button of an outgoing message.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data"` // callback data, at most 64 bytes
	// URL, instead of Data, makes a button that opens the address.
	URL string `json:"url,omitempty"`
}

// Outgoing is a message waiting in the outbox. It is written in the same
// transaction as the change that caused it and removed once Telegram has
// accepted it, so a crash repeats at most the messages in flight.
type Outgoing struct {
	ID        uint64     `json:"id"` // assigned by the store, increasing
	ChatID    int64      `json:"chat_id"`
	Text      string     `json:"text"`
	ParseMode string     `json:"parse_mode,omitempty"`
	Keyboard  [][]Button `json:"keyboard,omitempty"`
	// Document, when set, is sent as a file with Text as its caption.
	DocumentName string `json:"document_name,omitempty"`
	Document     []byte `json:"document,omitempty"`
	// DocumentFile, instead of Document, names a file beside the database
	// (relative to its folder) holding a document too large to keep in a
	// row, such as a part of a client's /mydata archive. The store only
	// keeps the name: whoever writes the file removes it.
	DocumentFile string `json:"document_file,omitempty"`
	// Protect sends the message with Telegram's protect_content: it
	// cannot be forwarded or saved from the chat. Copies of a client's
	// words sent to coaches carry it.
	Protect bool `json:"protect,omitempty"`
	// A question of a delivery: once sent, its message id is recorded in
	// that delivery's Messages.
	LocalDate  string `json:"local_date,omitempty"`
	Day        int    `json:"day,omitempty"`
	QuestionID string `json:"question_id,omitempty"`
	// Bulk marks a message of a broadcast (a scheduled step, a reminder,
	// a digest). Outbox returns every other row first, so a client who is
	// talking with kindling is not kept waiting behind the morning's
	// questions to everyone else.
	Bulk bool `json:"bulk,omitempty"`
	// Urgent marks a crisis reply or a safety alert: it goes out ahead of
	// every other row, and no global pause of the sender holds it for
	// more than 30 seconds.
	Urgent bool `json:"urgent,omitempty"`
	// About names the client a message to someone else (a coach) is
	// about; Forget drops it with the client's own rows.
	About int64 `json:"about,omitempty"`
	// AlertAt, with About, names the alert a message to a coach or an
	// on-call chat carries: once it is sent, or fails, the alert is told.
	AlertAt   time.Time `json:"alert_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	Attempts  int       `json:"attempts,omitempty"`
}
