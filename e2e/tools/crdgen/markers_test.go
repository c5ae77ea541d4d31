package main

import (
	"encoding/json"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func TestApplyMarkers(t *testing.T) {
	cases := []struct {
		marker, typ, want string
	}{
		{"+nullable", "object", `{"type":"object","nullable":true}`},
		{"+kubebuilder:pruning:PreserveUnknownFields", "object", `{"type":"object","x-kubernetes-preserve-unknown-fields":true}`},
		{"+kubebuilder:validation:MaxItems:=256", "array", `{"type":"array","maxItems":256}`},
		{"+kubebuilder:validation:Minimum:=0", "integer", `{"type":"integer","minimum":0}`},
		{"+kubebuilder:validation:Maximum=4294967295", "integer", `{"type":"integer","maximum":4294967295}`},
		{"+kubebuilder:validation:Format:=int64", "integer", `{"type":"integer","format":"int64"}`},
		{"+kubebuilder:validation:Enum=Reboot;Terminate", "string", `{"type":"string","enum":["Reboot","Terminate"]}`},
		{"+kubebuilder:validation:Pattern=`^(0(?:\\.\\d{1,3})?|1)$`", "string", `{"type":"string","pattern":"^(0(?:\\.\\d{1,3})?|1)$"}`},
		{"+kubebuilder:default:=true", "boolean", `{"type":"boolean","default":true}`},
		{"+kubebuilder:default=Stopped", "string", `{"type":"string","default":"Stopped"}`},
		{`+kubebuilder:validation:XValidation:rule="!self.contains('..')",message="path must not contain '..'"`, "string",
			`{"type":"string","x-kubernetes-validations":[{"rule":"!self.contains('..')","message":"path must not contain '..'"}]}`},
		{"+kubebuilder:object:root=true", "object", `{"type":"object"}`},
	}
	for _, c := range cases {
		s := apiextv1.JSONSchemaProps{Type: c.typ}
		if err := apply(&s, c.marker); err != nil {
			t.Errorf("%s: %v", c.marker, err)
			continue
		}
		got, _ := json.Marshal(s)
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.marker, got, c.want)
		}
	}
}

func TestApplyMarkersRejectsMalformed(t *testing.T) {
	for _, c := range []struct{ marker, typ string }{
		{"+kubebuilder:validation:MaxItems:=many", "array"},
		{"+kubebuilder:validation:Minimum:=x", "integer"},
		{"+kubebuilder:default:=maybe", "boolean"},
		{`+kubebuilder:validation:XValidation:rule=unquoted`, "string"},
		{`+kubebuilder:validation:XValidation:rule=""`, "string"},
	} {
		s := apiextv1.JSONSchemaProps{Type: c.typ}
		if err := apply(&s, c.marker); err == nil {
			t.Errorf("%s: accepted", c.marker)
		}
	}
}
