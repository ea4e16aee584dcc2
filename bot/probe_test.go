package bot_test

import (
	"net/http"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	h, u := onboarded(t)
	m := dayZero(t, h, u)
	buttons := answerButtons(m)
	u.Press(m.ID, buttons[4].CallbackData)
	u.Press(m.ID, buttons[8].CallbackData)
	h.settle()
	s := time.Now()
	h.stop()
	time.Sleep(100 * time.Millisecond)
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	h.srv.Close()
	t.Logf("close %s", time.Since(s))
}
