//go:build windows

package wintest

import (
	"errors"
	"testing"

	"golang.org/x/sys/windows/registry"
)

const access = registry.ALL_ACCESS | registry.WOW64_64KEY

// SetValue writes one registry value for the duration of the test, creating the key when
// needed, and restores the previous value (or its absence) in t.Cleanup.
func SetValue(t *testing.T, root registry.Key, path, name string, set func(registry.Key) error) {
	t.Helper()
	k, _, err := registry.CreateKey(root, path, access)
	if err != nil {
		t.Fatalf(`create %s: %v`, path, err)
	}
	defer k.Close()
	t.Cleanup(snapshot(t, k, root, path, name))
	if err := set(k); err != nil {
		t.Fatalf(`write %s\%s: %v`, path, name, err)
	}
}

// DeleteValue removes one registry value for the duration of the test and restores it after.
func DeleteValue(t *testing.T, root registry.Key, path, name string) {
	t.Helper()
	k, err := registry.OpenKey(root, path, access)
	if errors.Is(err, registry.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatalf(`open %s: %v`, path, err)
	}
	defer k.Close()
	t.Cleanup(snapshot(t, k, root, path, name))
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		t.Fatalf(`delete %s\%s: %v`, path, name, err)
	}
}

// snapshot reads name as it is now and returns what puts it back.
func snapshot(t *testing.T, k registry.Key, root registry.Key, path, name string) func() {
	t.Helper()
	var put func(registry.Key) error
	_, typ, err := k.GetValue(name, nil)
	switch {
	case errors.Is(err, registry.ErrNotExist):
		put = func(k registry.Key) error {
			if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
				return err
			}
			return nil
		}
	case err != nil:
		t.Fatalf(`read %s\%s: %v`, path, name, err)
	case typ == registry.DWORD:
		v, _, _ := k.GetIntegerValue(name)
		put = func(k registry.Key) error { return k.SetDWordValue(name, uint32(v)) }
	case typ == registry.SZ:
		v, _, _ := k.GetStringValue(name)
		put = func(k registry.Key) error { return k.SetStringValue(name, v) }
	case typ == registry.MULTI_SZ:
		v, _, _ := k.GetStringsValue(name)
		put = func(k registry.Key) error { return k.SetStringsValue(name, v) }
	case typ == registry.BINARY:
		v, _, _ := k.GetBinaryValue(name)
		put = func(k registry.Key) error { return k.SetBinaryValue(name, v) }
	default:
		t.Fatalf(`%s\%s has registry type %d, which this fixture does not restore`, path, name, typ)
	}
	return func() {
		k, err := registry.OpenKey(root, path, access)
		if err != nil {
			t.Errorf(`restore %s\%s: %v`, path, name, err)
			return
		}
		defer k.Close()
		if err := put(k); err != nil {
			t.Errorf(`restore %s\%s: %v`, path, name, err)
		}
	}
}
