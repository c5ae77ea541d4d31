// Package certmanager holds no code: it makes this module require the API
// types controller-gen reads (go.mod names controller-gen as a tool).
package certmanager

import _ "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
