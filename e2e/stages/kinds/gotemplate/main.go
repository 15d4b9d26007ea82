// Command gotemplate renders an ApplicationSet's template the way Argo CD does with
// `goTemplate: true`: every string field of spec.template is executed as a Go text/template
// (with spec.goTemplateOptions, e.g. missingkey=error) once per list-generator element, the
// element being the data. It reads the ApplicationSet as JSON on stdin and checks that every
// rendered string equals the template string with each `{{ .key }}` replaced by the element's
// value as written: a value holding `{{ }}`, `$(…)` or quotes must arrive literally.
// Standard library only (no module downloads); Argo CD adds the sprig functions, which a
// template without function calls does not reach.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"text/template"
)

var action = regexp.MustCompile(`\{\{ \.([A-Za-z]+) \}\}`)

func walk(v any, path string, visit func(path, s string)) {
	switch t := v.(type) {
	case string:
		visit(path, t)
	case []any:
		for i, x := range t {
			walk(x, fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case map[string]any:
		for k, x := range t {
			walk(x, path+"."+k, visit)
		}
	}
}

func main() {
	var set struct {
		Spec struct {
			GoTemplate        bool     `json:"goTemplate"`
			GoTemplateOptions []string `json:"goTemplateOptions"`
			Generators        []struct {
				List struct {
					Elements []map[string]any `json:"elements"`
				} `json:"list"`
			} `json:"generators"`
			Template any `json:"template"`
		} `json:"spec"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&set); err != nil {
		fmt.Fprintln(os.Stderr, "gotemplate: not an ApplicationSet:", err)
		os.Exit(2)
	}
	if !set.Spec.GoTemplate {
		fmt.Fprintln(os.Stderr, "gotemplate: goTemplate is not true")
		os.Exit(1)
	}
	failures, rendered := 0, 0
	for _, g := range set.Spec.Generators {
		for _, element := range g.List.Elements {
			walk(set.Spec.Template, "template", func(path, s string) {
				t, err := template.New(path).Option(set.Spec.GoTemplateOptions...).Parse(s)
				if err != nil {
					fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", path, err)
					failures++
					return
				}
				var out strings.Builder
				if err := t.Execute(&out, element); err != nil {
					fmt.Fprintf(os.Stderr, "FAIL %s (%v): %v\n", path, element["environment"], err)
					failures++
					return
				}
				want := action.ReplaceAllStringFunc(s, func(a string) string {
					return fmt.Sprint(element[action.FindStringSubmatch(a)[1]])
				})
				if out.String() != want {
					fmt.Fprintf(os.Stderr, "FAIL %s (%v): rendered %q, the value as written is %q\n", path, element["environment"], out.String(), want)
					failures++
				}
				rendered++
			})
		}
	}
	if failures > 0 {
		os.Exit(1)
	}
	fmt.Printf("%d template strings rendered by Go text/template, every value as written\n", rendered)
}
