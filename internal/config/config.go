// Package config applies a YAML config file to a command's flags: every key is a long flag
// name, a repeatable flag takes a list, and a flag given on the command line wins.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/cmpreflight/cmpreflight/internal/inputfile"
	"github.com/cmpreflight/cmpreflight/internal/yamlerr"
)

// Secret keys are refused in a config file: secrets come from the environment or a file.
var secretKeys = map[string]string{
	"proxy-password":        "CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file",
	"password":              "an environment variable or a --*-password-file flag",
	"install-password":      "CMPREFLIGHT_INSTALL_PASSWORD or --install-password-file",
	"adminservice-password": "CMPREFLIGHT_ADMINSERVICE_PASSWORD or --adminservice-password-file",
}

// Apply reads path and sets each key on fs unless the flag was given on the command line.
// Errors name path:line and the key.
func Apply(fs *pflag.FlagSet, path string) error {
	data, err := inputfile.Read(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	return ApplyBytes(fs, path, data)
}

// ApplyBytes is Apply on content already read.
func ApplyBytes(fs *pflag.FlagSet, path string, data []byte) error {
	return applyBytes(fs, path, data, nil)
}

// ApplyShared is Apply for a command that shares its config file with another: a key that fs
// lacks but shared has (a flag of the other command) is skipped, not refused, so one file
// serves both (report evaluate reads run's preflight.yaml and uses its policy keys). A key
// neither knows is still refused, naming file:line.
func ApplyShared(fs *pflag.FlagSet, path string, shared *pflag.FlagSet) error {
	data, err := inputfile.Read(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	return applyBytes(fs, path, data, shared)
}

func applyBytes(fs *pflag.FlagSet, path string, data []byte, shared *pflag.FlagSet) error {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("%s: %v", path, yamlerr.Fix(err))
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: the config must be a mapping of flag names to values", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if hint, ok := secretKeys[key]; ok {
			return fmt.Errorf("%s:%d: %q: secrets are not read from config files; use %s", path, k.Line, key, hint)
		}
		f := fs.Lookup(key)
		if f == nil && key != "config" && shared != nil && shared.Lookup(key) != nil {
			continue
		}
		if f == nil || key == "config" {
			return fmt.Errorf("%s:%d: unknown key %q (keys are the long flag names of the command)", path, k.Line, key)
		}
		if f.Changed {
			continue
		}
		var values []string
		switch v.Kind {
		case yaml.ScalarNode:
			values = []string{v.Value}
		case yaml.SequenceNode:
			if !isRepeatable(f) {
				return fmt.Errorf("%s:%d: %q takes one value, not a list", path, v.Line, key)
			}
			for _, it := range v.Content {
				if it.Kind != yaml.ScalarNode {
					return fmt.Errorf("%s:%d: %q: list items must be plain values", path, it.Line, key)
				}
				values = append(values, it.Value)
			}
		default:
			return fmt.Errorf("%s:%d: %q must be a value or a list", path, v.Line, key)
		}
		for _, val := range values {
			if u, err := url.Parse(val); err == nil && u.User != nil {
				if _, has := u.User.Password(); has {
					hint := secretKeys[key+"-password"]
					if hint == "" {
						hint = secretKeys["password"]
					}
					return fmt.Errorf("%s:%d: %q: a password in a URL is refused (it would sit in a file in clear); use %s", path, v.Line, key, hint)
				}
			}
			if err := fs.Set(key, val); err != nil {
				return fmt.Errorf("%s:%d: %q: %v", path, v.Line, key, err)
			}
		}
	}
	return nil
}

func isRepeatable(f *pflag.Flag) bool {
	t := f.Value.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")
}
