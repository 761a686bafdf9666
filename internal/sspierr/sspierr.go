// Package sspierr names SSPI and Kerberos-related Windows status codes, so that a failure is
// reported by its symbol ("SEC_E_TARGET_UNKNOWN") rather than as a bare number.
package sspierr

import (
	"errors"
	"fmt"
	"syscall"
)

// Status codes this package names (winerror.h and ntstatus.h).
const (
	InvalidHandle        = 0x80090301
	UnsupportedFunction  = 0x80090302
	TargetUnknown        = 0x80090303
	InternalError        = 0x80090304
	SecpkgNotFound       = 0x80090305
	InvalidToken         = 0x80090308
	LogonDenied          = 0x8009030C
	UnknownCredentials   = 0x8009030D
	NoCredentials        = 0x8009030E
	NoAuthenticatingAuth = 0x80090311
	ContextExpired       = 0x80090317
	WrongPrincipal       = 0x80090322
	TimeSkew             = 0x80090324
	KDCUnknownEtype      = 0x80090341
	KDCCertExpired       = 0x8009035A
	StatusNTLMBlocked    = 0xC0000418
	HResultNTLMBlocked   = 0x80070791
	ErrorNTLMBlocked     = 0x791
)

var names = map[uint32]string{
	InvalidHandle: "SEC_E_INVALID_HANDLE", UnsupportedFunction: "SEC_E_UNSUPPORTED_FUNCTION",
	TargetUnknown: "SEC_E_TARGET_UNKNOWN", InternalError: "SEC_E_INTERNAL_ERROR",
	SecpkgNotFound: "SEC_E_SECPKG_NOT_FOUND", InvalidToken: "SEC_E_INVALID_TOKEN",
	LogonDenied: "SEC_E_LOGON_DENIED", UnknownCredentials: "SEC_E_UNKNOWN_CREDENTIALS",
	NoCredentials: "SEC_E_NO_CREDENTIALS", NoAuthenticatingAuth: "SEC_E_NO_AUTHENTICATING_AUTHORITY",
	ContextExpired: "SEC_E_CONTEXT_EXPIRED", WrongPrincipal: "SEC_E_WRONG_PRINCIPAL",
	TimeSkew: "SEC_E_TIME_SKEW", KDCUnknownEtype: "SEC_E_KDC_UNKNOWN_ETYPE",
	KDCCertExpired: "SEC_E_KDC_CERT_EXPIRED", StatusNTLMBlocked: "STATUS_NTLM_BLOCKED",
	HResultNTLMBlocked: "ERROR_NTLM_BLOCKED", ErrorNTLMBlocked: "ERROR_NTLM_BLOCKED",
}

// Name is the symbol of a status; one this package does not know is shown in hexadecimal,
// the form Microsoft's documentation indexes.
func Name(code uint32) string {
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("SSPI status 0x%08X", code)
}

// Describe is err's text with any SSPI status in it named: "SEC_E_NO_CREDENTIALS" instead of
// "winapi error #2148074254".
func Describe(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return Name(uint32(e))
	}
	return err.Error()
}
