package butane

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/coreos/butane/translate"
	"github.com/coreos/vcontext/path"
	"github.com/vincent-petithory/dataurl"
)

// Butane decides the encoding of each inline or local resource by trying
// plain, base64 and gzip+base64 and keeping the shortest. It allocates a new
// best-compression gzip writer (about 1 MB of state) for every resource.
// hardnode asks Butane for uncompressed data URLs instead
// (NoResourceAutoCompression) and then makes the same gzip decision here,
// with pooled writers, so that the output stays byte-identical.

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestCompression) // the level is valid: no error
	return w
}}

var gzipBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const dataPrefix = "data:"

// minGzipOpaque is the shortest a gzip data URL (after "data:") plus the
// "gzip" compression value can be: any gzip stream has at least its 10-byte
// header and 8-byte trailer. An opaque part no longer than this is never
// replaced by Butane, so the work of compressing it can be skipped.
var minGzipOpaque = len(";base64,") + base64.StdEncoding.EncodedLen(10+8) + len("gzip")

// compressDataURLs applies Butane's gzip choice to every data URL that the
// translation set says Butane made from inline, local or tree contents with
// no compression given by the user. cfg is a types.Config value.
func compressDataURLs(cfg any, ts translate.TranslationSet) (any, error) {
	root := reflect.New(reflect.TypeOf(cfg)).Elem()
	root.Set(reflect.ValueOf(cfg))

	for to, t := range ts.Set {
		if !strings.HasSuffix(to, ".source") {
			continue
		}
		elems := t.To.Path
		compressionPath := path.New(t.To.Tag, append(append([]any{}, elems[:len(elems)-1]...), "compression")...)
		ct, ok := ts.Set[compressionPath.String()]
		if !ok || ct.From.String() != t.From.String() {
			continue // the user wrote the source, or chose the compression
		}
		resource, ok := lookupJSON(root, elems[:len(elems)-1])
		if !ok {
			return nil, fmt.Errorf("%s: no such resource in the translated config", to)
		}
		if err := compressResource(resource, to); err != nil {
			return nil, err
		}
	}
	return root.Interface(), nil
}

// compressResource replaces the resource's data URL with a gzip+base64 one
// when Butane would: when it is shorter even counting the "gzip" value.
func compressResource(resource reflect.Value, at string) error {
	source := resource.FieldByName("Source")
	compression := resource.FieldByName("Compression")
	if source.IsNil() || compression.IsNil() || compression.Elem().String() != "" {
		return nil
	}
	uri := source.Elem().String()
	if !strings.HasPrefix(uri, dataPrefix) {
		return nil
	}
	opaque := uri[len(dataPrefix):]
	if len(opaque) <= minGzipOpaque {
		return nil // gzip cannot win: Butane would keep the plain form too
	}
	contents, err := decodeOpaque(opaque)
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}

	buf := gzipBuffers.Get().(*bytes.Buffer)
	defer gzipBuffers.Put(buf)
	buf.Reset()
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(buf)
	if _, err := w.Write(contents); err != nil {
		return fmt.Errorf("%s: gzip: %w", at, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: gzip: %w", at, err)
	}

	const b64 = ";base64,"
	if len(b64)+base64.StdEncoding.EncodedLen(buf.Len())+len("gzip") >= len(opaque) {
		return nil
	}
	var sb strings.Builder
	sb.Grow(len(dataPrefix) + len(b64) + base64.StdEncoding.EncodedLen(buf.Len()))
	sb.WriteString(dataPrefix + b64)
	enc := base64.NewEncoder(base64.StdEncoding, &sb)
	_, _ = enc.Write(buf.Bytes()) // writes to a strings.Builder do not fail
	_ = enc.Close()
	newSource, gz := sb.String(), "gzip"
	source.Set(reflect.ValueOf(&newSource))
	compression.Set(reflect.ValueOf(&gz))
	return nil
}

// decodeOpaque decodes the part of a Butane-made data URL after "data:":
// either ";base64,DATA" or ",URL-ESCAPED".
func decodeOpaque(opaque string) ([]byte, error) {
	switch {
	case strings.HasPrefix(opaque, ";base64,"):
		return base64.StdEncoding.DecodeString(opaque[len(";base64,"):])
	case strings.HasPrefix(opaque, ","):
		return dataurl.Unescape(opaque[1:])
	}
	return nil, fmt.Errorf("unexpected data URL form %.20q", opaque)
}

// lookupJSON follows a JSON path (field names and list indexes) from v.
func lookupJSON(v reflect.Value, elems []any) (reflect.Value, bool) {
	for _, e := range elems {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		switch key := e.(type) {
		case string:
			if v.Kind() != reflect.Struct {
				return reflect.Value{}, false
			}
			f, ok := fieldByJSON(v, key)
			if !ok {
				return reflect.Value{}, false
			}
			v = f
		case int:
			if v.Kind() != reflect.Slice || key < 0 || key >= v.Len() {
				return reflect.Value{}, false
			}
			v = v.Index(key)
		default:
			return reflect.Value{}, false
		}
	}
	return v, true
}

// fieldByJSON finds the field of struct v named name in JSON, looking
// through embedded structs.
func fieldByJSON(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Anonymous && tag == "" {
			if found, ok := fieldByJSON(v.Field(i), name); ok {
				return found, true
			}
			continue
		}
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}
