// Package mispguard wraps the misp-guard C library (include/misp_guard.h): a
// streaming filter for MISP synchronisation traffic, deciding as misp-guard does.
//
// Load a Policy once and share it between goroutines. For each request call
// Policy.CheckRequest; when the decision asks for a body to be inspected, create an
// Evaluator for it, write the body into it (it is an io.Writer; any chunking gives
// the same verdict), then call Finish. Close what you create (finalizers are a
// safety net only).
//
// Linking: the package links the static library libmisp_guard.a. Build it with
// `cargo build -p misp-guard-ffi --release`; it is looked up in
// ../../target/release, or in a directory given through
// CGO_LDFLAGS="-L<dir>" (searched first).
package mispguard

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -l:libmisp_guard.a -lpthread -ldl -lm
#include <stdlib.h>
#include <string.h>
#include "misp_guard.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"unsafe"
)

// Result is the library's result code (misp_guard_result).
type Result uint32

// Result codes; the numbers are part of the C ABI.
const (
	ResultOK                Result = C.MISP_GUARD_RESULT_OK
	ResultNullParameter     Result = C.MISP_GUARD_RESULT_NULL_PARAMETER
	ResultInvalidUTF8       Result = C.MISP_GUARD_RESULT_INVALID_UTF8
	ResultConfigError       Result = C.MISP_GUARD_RESULT_CONFIG_ERROR
	ResultBufferTooSmall    Result = C.MISP_GUARD_RESULT_BUFFER_TOO_SMALL
	ResultPanic             Result = C.MISP_GUARD_RESULT_PANIC
	ResultMisaligned        Result = C.MISP_GUARD_RESULT_MISALIGNED
	ResultInvalidInspection Result = C.MISP_GUARD_RESULT_INVALID_INSPECTION
	ResultInvalidState      Result = C.MISP_GUARD_RESULT_INVALID_STATE
)

// String is the library's description of the code.
func (r Result) String() string {
	return C.GoString(C.misp_guard_result_text(C.uint32_t(r)))
}

// Error is a failed library call. On the request path any error means "could not
// decide": refuse the message (fail closed).
type Error struct {
	Op   string // the operation, e.g. "check request"
	Code Result
}

func (e *Error) Error() string { return "mispguard: " + e.Op + ": " + e.Code.String() }

// ConfigError is a configuration that could not be loaded.
type ConfigError struct {
	// Message is "LINE:COL: message (at PATH)", 1-based.
	Message string
}

func (e *ConfigError) Error() string { return "mispguard: config: " + e.Message }

// ErrClosed is returned when a closed Policy or Evaluator is used.
var ErrClosed = errors.New("mispguard: use of a closed object")

func check(op string, rc C.misp_guard_result) error {
	if Result(rc) == ResultOK {
		return nil
	}
	return &Error{Op: op, Code: Result(rc)}
}

// Version is the C library's version.
func Version() string { return C.GoString(C.misp_guard_version()) }

// Reason is a stable block reason number (misp_guard_reason); 0 means none.
type Reason uint16

// Side tells which message a body belongs to.
type Side uint32

const (
	// SideRequest is the request body (push).
	SideRequest Side = C.MISP_GUARD_SIDE_REQUEST
	// SideResponse is the upstream response body (pull).
	SideResponse Side = C.MISP_GUARD_SIDE_RESPONSE
)

// Allowlisted tells why a request passed through the allowlist.
type Allowlisted uint32

const (
	// NotAllowlisted is normal sync traffic.
	NotAllowlisted Allowlisted = C.MISP_GUARD_ALLOWLISTED_NONE
	// AllowlistedURL means the URL is in allowlist.urls.
	AllowlistedURL Allowlisted = C.MISP_GUARD_ALLOWLISTED_URL
	// AllowlistedDomain means the host is in allowlist.domains.
	AllowlistedDomain Allowlisted = C.MISP_GUARD_ALLOWLISTED_DOMAIN
)

// Header is one HTTP header.
type Header struct {
	Name, Value string
}

// cmem holds C copies of Go data for the duration of one call, so no Go pointer is
// ever stored in memory the C side reads (cgo's pointer rules).
type cmem struct{ ptrs []unsafe.Pointer }

func (m *cmem) bytes(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	p := C.CBytes([]byte(s))
	m.ptrs = append(m.ptrs, p)
	return (*C.uint8_t)(p), C.size_t(len(s))
}

func (m *cmem) str(s string) C.misp_guard_str {
	p, n := m.bytes(s)
	return C.misp_guard_str{data: (*C.char)(unsafe.Pointer(p)), len: n}
}

func (m *cmem) headers(hs []Header) (*C.misp_guard_header, C.size_t) {
	if len(hs) == 0 {
		return nil, 0
	}
	size := C.size_t(len(hs)) * C.size_t(unsafe.Sizeof(C.misp_guard_header{}))
	p := C.malloc(size)
	m.ptrs = append(m.ptrs, p)
	arr := unsafe.Slice((*C.misp_guard_header)(p), len(hs))
	for i, h := range hs {
		arr[i].name, arr[i].name_len = m.bytes(h.Name)
		arr[i].value, arr[i].value_len = m.bytes(h.Value)
	}
	return (*C.misp_guard_header)(p), C.size_t(len(hs))
}

func (m *cmem) free() {
	for _, p := range m.ptrs {
		C.free(p)
	}
	m.ptrs = nil
}

func goStr(s C.misp_guard_str) string {
	if s.len == 0 {
		return ""
	}
	return C.GoStringN(s.data, C.int(s.len))
}

// Policy is a loaded configuration: immutable, safe for concurrent use.
type Policy struct {
	p *C.misp_guard_policy
}

// NewPolicy loads a configuration (either misp-guard format) from JSON. A bad
// configuration gives a *ConfigError.
func NewPolicy(json []byte) (*Policy, error) {
	var p *C.misp_guard_policy
	var errBuf [512]C.char
	var data *C.uint8_t
	if len(json) > 0 {
		data = (*C.uint8_t)(unsafe.Pointer(&json[0]))
	}
	rc := C.misp_guard_policy_new(data, C.size_t(len(json)), &p, &errBuf[0], C.size_t(len(errBuf)))
	if Result(rc) == ResultConfigError {
		return nil, &ConfigError{Message: C.GoString(&errBuf[0])}
	}
	if err := check("load policy", rc); err != nil {
		return nil, err
	}
	pol := &Policy{p: p}
	runtime.SetFinalizer(pol, (*Policy).Close)
	return pol, nil
}

// Close releases the policy. Evaluators created from it keep working: they hold
// their own reference. Closing twice is harmless.
func (p *Policy) Close() error {
	if p.p != nil {
		C.misp_guard_policy_free(p.p)
		p.p = nil
		runtime.SetFinalizer(p, nil)
	}
	return nil
}

// Request is a request as seen on the wire.
type Request struct {
	Method  string // as sent, e.g. "POST"
	Path    string // path with query, exactly as sent
	Scheme  string // "https" or "http"; empty means "https"
	SrcIP   string // the connection's source address
	DstHost string // the host the client addressed
	DstPort uint16
	Headers []Header
}

// Inspection is a body to inspect, as returned in a Decision. Opaque: pass it back
// to NewEvaluator of the same Policy.
type Inspection struct {
	c C.misp_guard_inspection
}

// Side is the message the body belongs to.
func (i Inspection) Side() Side { return Side(i.c.side) }

// Decision is the request-level decision.
type Decision struct {
	Allowed     bool
	Reason      Reason // 0 when allowed
	ReasonCode  string // e.g. "endpoint_not_allowed"; empty when allowed
	Allowlisted Allowlisted
	// Request, when not nil: inspect the request body before forwarding it.
	Request *Inspection
	// Response, when not nil: hold the response body back and inspect it.
	Response *Inspection
	// Preamble, when not empty, is logged (error level) before LogLine.
	Preamble string
	// LogLine is misp-guard's log line: the refusal (error level), the allowlist
	// line (info level) or empty.
	LogLine string
}

// CheckRequest decides on a request. Safe for concurrent use.
func (p *Policy) CheckRequest(r *Request) (*Decision, error) {
	if p.p == nil {
		return nil, ErrClosed
	}
	var m cmem
	defer m.free()
	scheme := r.Scheme
	if scheme == "" {
		scheme = "https"
	}
	hs, n := m.headers(r.Headers)
	// The decision holds two line buffers: keep it off the Go stack in C memory.
	d := (*C.misp_guard_request_decision)(C.malloc(C.size_t(unsafe.Sizeof(C.misp_guard_request_decision{}))))
	defer C.free(unsafe.Pointer(d))
	rc := C.misp_guard_check_request(p.p, m.str(r.Method), m.str(r.Path), m.str(scheme),
		m.str(r.SrcIP), m.str(r.DstHost), C.uint16_t(r.DstPort), hs, n, d)
	runtime.KeepAlive(p)
	if err := check("check request", rc); err != nil {
		return nil, err
	}
	out := &Decision{
		Allowed:     d.verdict == C.MISP_GUARD_VERDICT_ALLOW,
		Reason:      Reason(d.reason),
		ReasonCode:  goStr(d.reason_code),
		Allowlisted: Allowlisted(d.allowlisted),
		LogLine:     C.GoString(&d.log_line[0]),
	}
	if bool(d.has_preamble) {
		out.Preamble = C.GoString(&d.preamble[0])
	}
	if bool(d.inspect_request) {
		out.Request = &Inspection{c: d.request}
	}
	if bool(d.inspect_response) {
		out.Response = &Inspection{c: d.response}
	}
	return out, nil
}

// Verdict is the decision on a body.
type Verdict struct {
	Allowed    bool
	Reason     Reason // 0 when allowed
	Side       Side
	ReasonCode string // e.g. "event_blocked_tag"
	RuleID     string // the instance name or the legacy block rule id
	Message    string // misp-guard's wording, e.g. "event has blocked tag: tlp:red"
	Detail     string // the offending value as found
	Pointer    string // JSON pointer of the offending element
}

// Evaluator inspects one body. It is an io.Writer: write the body (as received,
// still Content-Encoded) in any chunks, then call Finish. Not safe for concurrent
// use.
type Evaluator struct {
	ev      *C.misp_guard_evaluator
	blocked bool
}

// NewEvaluator creates an evaluator for a body the Decision asked to inspect, with
// that message's headers (Content-Encoding, Content-Type and, for responses,
// X-UserOrgUUID).
func (p *Policy) NewEvaluator(insp Inspection, headers []Header) (*Evaluator, error) {
	if p.p == nil {
		return nil, ErrClosed
	}
	var m cmem
	defer m.free()
	hs, n := m.headers(headers)
	ci := (*C.misp_guard_inspection)(C.malloc(C.size_t(unsafe.Sizeof(insp.c))))
	defer C.free(unsafe.Pointer(ci))
	*ci = insp.c
	var ev *C.misp_guard_evaluator
	rc := C.misp_guard_evaluator_new(p.p, ci, hs, n, &ev)
	runtime.KeepAlive(p)
	if err := check("new evaluator", rc); err != nil {
		return nil, err
	}
	e := &Evaluator{ev: ev}
	runtime.SetFinalizer(e, (*Evaluator).Close)
	return e, nil
}

// Reset reuses the evaluator for another body inspected under the same Policy.
func (e *Evaluator) Reset(insp Inspection, headers []Header) error {
	if e.ev == nil {
		return ErrClosed
	}
	var m cmem
	defer m.free()
	hs, n := m.headers(headers)
	ci := (*C.misp_guard_inspection)(C.malloc(C.size_t(unsafe.Sizeof(insp.c))))
	defer C.free(unsafe.Pointer(ci))
	*ci = insp.c
	rc := C.misp_guard_evaluator_reset(e.ev, ci, hs, n)
	runtime.KeepAlive(e)
	e.blocked = false
	return check("reset", rc)
}

// Write feeds the next chunk of the body. It consumes all of b or fails; after a
// failure refuse the message. Writing after Finish is an error.
func (e *Evaluator) Write(b []byte) (int, error) {
	if e.ev == nil {
		return 0, ErrClosed
	}
	var data *C.uint8_t
	if len(b) > 0 {
		data = (*C.uint8_t)(unsafe.Pointer(&b[0]))
	}
	var progress C.misp_guard_progress
	rc := C.misp_guard_evaluator_feed(e.ev, data, C.size_t(len(b)), &progress)
	runtime.KeepAlive(e)
	if err := check("feed", rc); err != nil {
		return 0, err
	}
	if progress == C.MISP_GUARD_PROGRESS_BLOCKED {
		e.blocked = true
	}
	return len(b), nil
}

// Blocked reports whether the verdict is already certain to be a block (the caller
// may stop writing early).
func (e *Evaluator) Blocked() bool { return e.blocked }

// Finish ends the body and returns the verdict (again on later calls).
func (e *Evaluator) Finish() (*Verdict, error) {
	if e.ev == nil {
		return nil, ErrClosed
	}
	var v C.misp_guard_body_verdict
	rc := C.misp_guard_evaluator_finish(e.ev, &v)
	if err := check("finish", rc); err != nil {
		return nil, err
	}
	out := &Verdict{
		Allowed:    v.verdict == C.MISP_GUARD_VERDICT_ALLOW,
		Reason:     Reason(v.reason),
		Side:       Side(v.side),
		ReasonCode: goStr(v.reason_code),
		RuleID:     goStr(v.rule_id),
		Message:    goStr(v.message),
		Detail:     goStr(v.detail),
		Pointer:    goStr(v.pointer),
	}
	runtime.KeepAlive(e) // the strings above are borrowed from the evaluator
	return out, nil
}

// LogLine renders misp-guard's log line for a finished, blocked body:
// "request blocked: [METHOD]PATH - MESSAGE".
func (e *Evaluator) LogLine(method, path string) (string, error) {
	if e.ev == nil {
		return "", ErrClosed
	}
	var m cmem
	defer m.free()
	cm, cp := m.str(method), m.str(path)
	var need C.size_t
	rc := C.misp_guard_evaluator_log_line(e.ev, cm, cp, nil, 0, &need)
	if Result(rc) != ResultBufferTooSmall {
		runtime.KeepAlive(e)
		if err := check("log line", rc); err != nil {
			return "", err
		}
	}
	buf := (*C.char)(C.malloc(need + 1))
	defer C.free(unsafe.Pointer(buf))
	rc = C.misp_guard_evaluator_log_line(e.ev, cm, cp, buf, need+1, &need)
	runtime.KeepAlive(e)
	if err := check("log line", rc); err != nil {
		return "", err
	}
	return C.GoStringN(buf, C.int(need)), nil
}

// Close releases the evaluator. Closing twice is harmless.
func (e *Evaluator) Close() error {
	if e.ev != nil {
		C.misp_guard_evaluator_free(e.ev)
		e.ev = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}
