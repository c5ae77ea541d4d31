package webhook

import (
	"errors"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	admissionv1 "k8s.io/api/admission/v1"
)

// decodeReview reads an AdmissionReview in one pass, which also checks the
// body's syntax: the objects in it are kept as raw bytes, delimited and
// checked but not built, for the rules, which build what they read of them
// once. Case-sensitive, as the API server decodes: "UID" is not "uid".
func decodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	review := &admissionv1.AdmissionReview{}
	return review, jsonv2.Unmarshal(body, review, reviewOptions...)
}

// notReview reports where a review that is valid JSON does not decode, and
// why. JSON v2 varies the wording of its own message from process to
// process on purpose, so that nobody relies on it; this one stays put.
func notReview(err error) string {
	var sem *jsonv2.SemanticError
	if !errors.As(err, &sem) {
		return err.Error()
	}
	msg := "cannot be read"
	if sem.GoType != nil {
		msg = fmt.Sprintf("a JSON %s where a %v is wanted", kindWord(sem.JSONKind), sem.GoType)
	}
	if sem.JSONPointer != "" {
		msg = "at " + string(sem.JSONPointer) + ", " + msg
	}
	if sem.Err != nil {
		msg += ": " + sem.Err.Error()
	}
	return msg
}

func kindWord(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// reviewOptions keep the leniency of encoding/json, which the API server
// reads objects with: the last of duplicate names wins, and invalid UTF-8
// reads as U+FFFD.
var reviewOptions = []jsonv2.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}
