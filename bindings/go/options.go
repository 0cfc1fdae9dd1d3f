// SPDX-License-Identifier: MIT

package parn

/*
#include <parn.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Options are settings by the library's own names ("threads", "device", "anon_mode", ...):
// the names come from parn_option_info, so an option added to libparn needs no binding
// change. Values: int kinds for int options, float64 (or an int) for float options, string
// for string options; a []string becomes a comma-separated string and a map or struct becomes
// JSON (the *_config options).
type Options map[string]interface{}

// OptionType is an option's value type.
type OptionType int

// Option value types.
const (
	OptionInt    OptionType = 1
	OptionFloat  OptionType = 2
	OptionString OptionType = 3
)

// OptionInfo describes an option key.
type OptionInfo struct {
	Key      int
	Name     string
	Type     OptionType
	Min, Max float64 // the accepted range of int and float options
}

var optionTable struct {
	once   sync.Once
	byName map[string]OptionInfo
}

// OptionByKey describes an option by its key (parn_option_info).
func OptionByKey(key int) (OptionInfo, error) {
	var name *C.char
	var kind C.parn_option_type
	var lo, hi C.double
	_, err := threadCall(func() C.parn_status {
		return C.parn_option_info(C.parn_option(key), &name, &kind, &lo, &hi)
	})
	if err != nil {
		return OptionInfo{}, err
	}
	return OptionInfo{key, C.GoString(name), OptionType(kind), float64(lo), float64(hi)}, nil
}

func optionsByName() map[string]OptionInfo {
	optionTable.once.Do(func() {
		optionTable.byName = map[string]OptionInfo{}
		for _, keys := range [][2]int{{1, 256}, {1000, 1256}} { // stable, then experimental
			for key := keys[0]; key < keys[1]; key++ {
				if C.parn_option_info(C.parn_option(key), nil, nil, nil, nil) != C.PARN_OK {
					continue
				}
				if info, err := OptionByKey(key); err == nil {
					optionTable.byName[info.Name] = info
				}
			}
		}
	})
	return optionTable.byName
}

// OptionByName describes an option by its name.
func OptionByName(name string) (OptionInfo, error) {
	info, ok := optionsByName()[name]
	if !ok {
		return OptionInfo{}, &Error{ErrInvalidArg, fmt.Sprintf("unknown option '%s' (known: %s)",
			name, strings.Join(OptionNames(), ", "))}
	}
	return info, nil
}

// OptionNames lists every option the library knows, sorted.
func OptionNames() []string {
	var names []string
	for name := range optionsByName() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// cOptions is a parn_options_t made from Options; NULL (the defaults) for none.
type cOptions struct{ ptr *C.parn_options_t }

func newOptions(opts Options) (cOptions, error) {
	if len(opts) == 0 {
		return cOptions{}, nil
	}
	var o cOptions
	if _, err := threadCall(func() C.parn_status { return C.parn_options_create(&o.ptr) }); err != nil {
		return cOptions{}, err
	}
	for name, value := range opts {
		if err := o.set(name, value); err != nil {
			o.free()
			return cOptions{}, err
		}
	}
	return o, nil
}

func (o cOptions) free() { C.parn_options_destroy(o.ptr) }

func (o cOptions) set(name string, value interface{}) error {
	info, err := OptionByName(name)
	if err != nil {
		return err
	}
	key := C.parn_option(info.Key)
	wrong := &Error{ErrInvalidArg, fmt.Sprintf("option '%s' does not take a %T", name, value)}
	switch info.Type {
	case OptionInt:
		n, ok := asInt(value)
		if !ok {
			return wrong
		}
		_, err = threadCall(func() C.parn_status { return C.parn_options_set_int(o.ptr, key, C.int64_t(n)) })
	case OptionFloat:
		f, ok := asFloat(value)
		if !ok {
			return wrong
		}
		_, err = threadCall(func() C.parn_status { return C.parn_options_set_float(o.ptr, key, C.double(f)) })
	default:
		s, ok := asString(value)
		if !ok {
			return wrong
		}
		cs := cstring(s)
		defer free(cs)
		_, err = threadCall(func() C.parn_status { return C.parn_options_set_string(o.ptr, key, cs) })
	}
	return err
}

// get reads an option back (its default when unset), for tests and diagnostics.
func (o cOptions) get(name string) (interface{}, error) {
	info, err := OptionByName(name)
	if err != nil {
		return nil, err
	}
	key := C.parn_option(info.Key)
	switch info.Type {
	case OptionInt:
		var v C.int64_t
		_, err = threadCall(func() C.parn_status { return C.parn_options_get_int(o.ptr, key, &v) })
		return int64(v), err
	case OptionFloat:
		var v C.double
		_, err = threadCall(func() C.parn_status { return C.parn_options_get_float(o.ptr, key, &v) })
		return float64(v), err
	}
	var v *C.char
	_, err = threadCall(func() C.parn_status { return C.parn_options_get_string(o.ptr, key, &v) })
	return C.GoString(v), err
}

func asInt(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), n <= 1<<62
	}
	return 0, false
}

func asFloat(v interface{}) (float64, bool) {
	switch f := v.(type) {
	case float64:
		return f, true
	case float32:
		return float64(f), true
	}
	n, ok := asInt(v)
	return float64(n), ok
}

func asString(v interface{}) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []string:
		return strings.Join(s, ","), true
	case fmt.Stringer:
		return s.String(), true
	case nil, bool, int, int64, float64:
		return "", false
	}
	b, err := json.Marshal(v) // maps and structs: the JSON configuration options
	return string(b), err == nil
}
