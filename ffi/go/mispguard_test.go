package mispguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The conformance corpus: MISP_GUARD_CONFORMANCE, or ../shared/conformance next to
// the repository.
func corpusDir() string {
	if d := os.Getenv("MISP_GUARD_CONFORMANCE"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "conformance")
}

type scenario struct {
	Name   string `json:"name"`
	Host   string `json:"host"`
	Port   uint16 `json:"port"`
	URL    string `json:"url"`
	Method string `json:"method"`
	Scheme string `json:"scheme"`
	Client *struct {
		IP string `json:"ip"`
	} `json:"client"`
	FixtureFile         string            `json:"fixture_file"`
	EventFixtureFile    string            `json:"event_fixture_file"`
	RequestBody         *string           `json:"request_body"`
	ResponseBody        *string           `json:"response_body"`
	ResponseFixtureFile string            `json:"response_fixture_file"`
	ResponseHeaders     map[string]string `json:"response_headers"`
	ExpectedStatusCode  int               `json:"expected_status_code"`
	ExpectedLogs        []string          `json:"expected_logs"`
}

// A corpus folder; the scenario fixture is the response body for pull scenarios.
type folder struct {
	label, dir, file, config string
	fixtureIsResponse        bool
}

var folders = []folder{
	{"current/push", "current", "push_scenarios.json", "current", false},
	{"current/pull", "current", "pull_scenarios.json", "current", true},
	{"legacy/push", "legacy", "push_scenarios.json", "legacy", false},
	{"legacy/pull", "legacy", "pull_scenarios.json", "legacy", true},
	{"extra", "extra", "scenarios.json", "current", false},
}

func readFixture(t testing.TB, dir, written string) []byte {
	name := filepath.Base(written)
	for _, d := range []string{dir, "current"} {
		if b, err := os.ReadFile(filepath.Join(corpusDir(), d, "fixtures", name)); err == nil {
			return b
		}
	}
	t.Fatalf("fixture %s not found for %s", written, dir)
	return nil
}

func loadPolicy(t testing.TB, config string) *Policy {
	b, err := os.ReadFile(filepath.Join(corpusDir(), config, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func loadScenarios(t testing.TB, f folder) []scenario {
	b, err := os.ReadFile(filepath.Join(corpusDir(), f.dir, f.file))
	if err != nil {
		t.Fatal(err)
	}
	var s []scenario
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// judge runs one body through an evaluator (fed in `chunk`-byte writes), returning
// whether it was blocked and the log line.
func judge(p *Policy, insp Inspection, headers []Header, body []byte, chunk int, sc *scenario) (bool, string, error) {
	ev, err := p.NewEvaluator(insp, headers)
	if err != nil {
		return false, "", err
	}
	defer ev.Close()
	for off := 0; off < len(body); off += chunk {
		end := off + chunk
		if end > len(body) {
			end = len(body)
		}
		if n, err := ev.Write(body[off:end]); err != nil || n != end-off {
			return false, "", fmt.Errorf("write: %d, %v", n, err)
		}
	}
	v, err := ev.Finish()
	if err != nil {
		return false, "", err
	}
	if v.Allowed {
		if v.Reason != 0 || v.Message != "" {
			return false, "", errors.New("an allow verdict carries a reason")
		}
		return false, "", nil
	}
	line, err := ev.LogLine(sc.Method, sc.URL)
	if err != nil {
		return false, "", err
	}
	if !strings.HasSuffix(line, " - "+v.Message) || v.Reason == 0 || v.ReasonCode == "" {
		return false, "", fmt.Errorf("verdict fields disagree with the log line %q: %+v", line, v)
	}
	return true, line, nil
}

// run plays a scenario as a proxy would; it returns "" when it behaves as expected.
func run(t testing.TB, p *Policy, f folder, sc *scenario, index int) string {
	var reqBody, respBody []byte
	hasResp := false
	if ff := sc.FixtureFile + sc.EventFixtureFile; ff != "" {
		if f.fixtureIsResponse {
			respBody, hasResp = readFixture(t, f.dir, ff), true
		} else {
			reqBody = readFixture(t, f.dir, ff)
		}
	}
	if sc.RequestBody != nil {
		reqBody = []byte(*sc.RequestBody)
	}
	if sc.ResponseBody != nil {
		respBody, hasResp = []byte(*sc.ResponseBody), true
	} else if sc.ResponseFixtureFile != "" {
		respBody, hasResp = readFixture(t, f.dir, sc.ResponseFixtureFile), true
	}
	var reqHeaders []Header
	if reqBody != nil {
		reqHeaders = []Header{{"Content-Type", "application/json"}}
	}
	var respHeaders []Header
	for k, v := range sc.ResponseHeaders {
		respHeaders = append(respHeaders, Header{k, v})
	}
	src := "127.0.0.1" // the legacy format does not check the source
	if sc.Client != nil {
		src = sc.Client.IP
	}
	req := &Request{Method: sc.Method, Path: sc.URL, Scheme: sc.Scheme, SrcIP: src,
		DstHost: sc.Host, DstPort: sc.Port, Headers: reqHeaders}
	chunk := 1 + (index*7)%13

	var logs []string
	status := 200
	d, err := p.CheckRequest(req)
	if err != nil {
		return err.Error()
	}
	if !d.Allowed {
		status = 403
		if d.Preamble != "" {
			logs = append(logs, d.Preamble)
		}
		logs = append(logs, d.LogLine)
	} else {
		if d.Allowlisted != NotAllowlisted {
			logs = append(logs, d.LogLine)
		}
		if d.Request != nil {
			blocked, line, err := judge(p, *d.Request, reqHeaders, reqBody, chunk, sc)
			if err != nil {
				return err.Error()
			}
			if blocked {
				status = 403
				logs = append(logs, line)
			}
		}
		if status == 200 && d.Response != nil && hasResp {
			blocked, line, err := judge(p, *d.Response, respHeaders, respBody, chunk, sc)
			if err != nil {
				return err.Error()
			}
			if blocked {
				status = 403
				logs = append(logs, line)
			}
		}
	}
	all := strings.Join(logs, "\n")
	if status != sc.ExpectedStatusCode {
		return fmt.Sprintf("status %d, expected %d; logs:\n%s", status, sc.ExpectedStatusCode, all)
	}
	for _, want := range sc.ExpectedLogs {
		if !strings.Contains(all, want) {
			return fmt.Sprintf("missing log %q; logs:\n%s", want, all)
		}
	}
	return ""
}

// TestConformance runs every corpus scenario through the Go wrapper and prints
// "FOLDER: N passed, M failed" per folder.
func TestConformance(t *testing.T) {
	for _, f := range folders {
		p := loadPolicy(t, f.config)
		passed, failed := 0, 0
		for i, sc := range loadScenarios(t, f) {
			sc := sc
			if msg := run(t, p, f, &sc, i); msg != "" {
				failed++
				t.Errorf("%s/%s: %s", f.label, sc.Name, msg)
			} else {
				passed++
			}
		}
		fmt.Printf("%s: %d passed, %d failed\n", f.label, passed, failed)
		if passed == 0 {
			t.Errorf("%s: no scenario ran", f.label)
		}
		p.Close()
	}
}

// TestConcurrentPolicy shares one Policy between goroutines (the C policy is
// immutable and reference counted); run with -race to check the wrapper too.
func TestConcurrentPolicy(t *testing.T) {
	f := folders[0]
	p := loadPolicy(t, f.config)
	defer p.Close()
	scenarios := loadScenarios(t, f)
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(scenarios))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := range scenarios {
				sc := scenarios[(i+g)%len(scenarios)]
				if msg := run(t, p, f, &sc, i+g); msg != "" {
					errs <- sc.Name + ": " + msg
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestConfigError(t *testing.T) {
	// A wrong type on line 2.
	_, err := NewPolicy([]byte("{\n  \"instances\": 5\n}"))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want *ConfigError, got %v", err)
	}
	var line, col int
	if n, _ := fmt.Sscanf(ce.Message, "%d:%d:", &line, &col); n != 2 || line != 2 || col == 0 {
		t.Errorf("want a LINE:COL message on line 2, got %q", ce.Message)
	}
	if _, err := NewPolicy(nil); err == nil {
		t.Error("an empty configuration loaded")
	}
}

// The minimal search parameters of POST /events/index, written with io.Copy.
func TestEvaluatorLifecycle(t *testing.T) {
	p := loadPolicy(t, "current")
	d, err := p.CheckRequest(&Request{Method: "POST", Path: "/events/index", SrcIP: "20.0.0.2",
		DstHost: "instance1-comp1.com", DstPort: 443})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || d.Request == nil || d.Request.Side() != SideRequest {
		t.Fatalf("unexpected decision %+v", d)
	}
	ev, err := p.NewEvaluator(*d.Request, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The evaluator holds its own reference: the policy may go first.
	p.Close()
	if _, err := p.CheckRequest(&Request{}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed policy: %v", err)
	}
	body := `{"minimal": 0, "published": 1}`
	if n, err := io.Copy(ev, strings.NewReader(body)); err != nil || n != int64(len(body)) {
		t.Fatalf("copy: %d, %v", n, err)
	}
	v, err := ev.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if v.Allowed || v.ReasonCode != "minimal_published_required" || v.Side != SideRequest {
		t.Errorf("unexpected verdict %+v", v)
	}
	line, err := ev.LogLine("POST", "/events/index")
	if err != nil || !strings.HasPrefix(line, "request blocked: [POST]/events/index - ") {
		t.Errorf("log line %q, %v", line, err)
	}
	_, err = ev.Write([]byte("x"))
	var e *Error
	if !errors.As(err, &e) || e.Code != ResultInvalidState {
		t.Errorf("write after finish: %v", err)
	}
	// Reuse for an allowed body.
	if err := ev.Reset(*d.Request, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Write([]byte(`{"minimal": 1, "published": 1}`)); err != nil {
		t.Fatal(err)
	}
	if v, err := ev.Finish(); err != nil || !v.Allowed {
		t.Errorf("after reset: %+v, %v", v, err)
	}
	if _, err := ev.LogLine("POST", "/events/index"); err == nil {
		t.Error("a log line for an allowed body")
	}
	bad := *d.Request
	bad.c.kind = 0
	if err := ev.Reset(bad, nil); !errors.As(err, &e) || e.Code != ResultInvalidInspection {
		t.Errorf("altered inspection: %v", err)
	}
	ev.Close()
	ev.Close()
	if _, err := ev.Write(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("closed evaluator: %v", err)
	}
}

func TestInvalidUTF8IsAnError(t *testing.T) {
	p := loadPolicy(t, "current")
	defer p.Close()
	_, err := p.CheckRequest(&Request{Method: "GET", Path: "/users/\xff", SrcIP: "20.0.0.2",
		DstHost: "instance1-comp1.com", DstPort: 443})
	var e *Error
	if !errors.As(err, &e) || e.Code != ResultInvalidUTF8 {
		t.Errorf("want InvalidUTF8, got %v", err)
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); v == "" || strings.Count(v, ".") != 2 {
		t.Errorf("version %q", v)
	}
	if ResultOK.String() != "ok" {
		t.Errorf("ResultOK.String() = %q", ResultOK.String())
	}
}
