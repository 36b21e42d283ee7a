//! Whole templates against inspect-shaped data, with the output Go's
//! text/template (with docker's functions) gives for them.

use super::*;
use serde_json::{Value as Json, json};
use std::rc::Rc;

/// Parses and runs `text` over JSON data in one step.
fn render(text: &str, data: &serde_json::Value) -> Result<String, TemplateError> {
    Template::parse(text)?.execute(&Value::Data(data.clone()))
}

fn container() -> Json {
    json!({
        "Id": "4f66ad9a0b2e5c1e8d5c3f5d2e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a",
        "Name": "/web",
        "Args": ["-c", "echo hi"],
        "State": {"Status": "exited", "ExitCode": 3, "Running": false, "Health": null},
        "Config": {
            "Labels": {"a": "1", "com.example.b": "two"},
            "Env": ["PATH=/bin", "A=b"],
            "Image": "busybox"
        },
        "HostConfig": {"Memory": 67108864, "NanoCpus": 1500000000_i64, "Binds": null},
        "NetworkSettings": {
            "Networks": {
                "bridge": {"IPAddress": "172.17.0.2"},
                "alpha": {"IPAddress": "10.0.0.2"}
            },
            "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
        },
        "Ratio": 0.25
    })
}

fn run(text: &str) -> String {
    match render(text, &container()) {
        Ok(out) => out,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn fail(text: &str) -> String {
    match render(text, &container()) {
        Ok(out) => panic!("{text:?} gave {out:?}"),
        Err(e) => e.0,
    }
}

#[test]
fn fields_maps_and_missing_keys() {
    let cases = [
        ("{{.Name}}", "/web"),
        ("{{.State.ExitCode}}", "3"),
        ("{{.State.Running}}", "false"),
        ("{{.Nope}}", "<no value>"),
        ("{{.Nope.Deeper}}", "<no value>"),
        ("{{.State.Health}}", "<no value>"),
        ("{{.Config.Labels.a}}", "1"),
        ("{{.Config.Labels.zz}}", "<no value>"),
        ("{{.Args}}", "[-c echo hi]"),
        ("{{.Config.Labels}}", "map[a:1 com.example.b:two]"),
        ("{{.HostConfig.Memory}}", "67108864"),
        ("{{.Ratio}}", "0.25"),
        ("{{.HostConfig.Binds}}", "<no value>"),
        (
            "{{$}}",
            "map[Args:[-c echo hi] Config:map[Env:[PATH=/bin A=b] Image:busybox Labels:map[a:1 com.example.b:two]] HostConfig:map[Binds:<nil> Memory:67108864 NanoCpus:1500000000] Id:4f66ad9a0b2e5c1e8d5c3f5d2e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a Name:/web NetworkSettings:map[Networks:map[alpha:map[IPAddress:10.0.0.2] bridge:map[IPAddress:172.17.0.2]] Ports:map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]]] Ratio:0.25 State:map[ExitCode:3 Health:<nil> Running:false Status:exited]]",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(run(text), want, "{text:?}");
    }
}

#[test]
fn functions_docker_adds() {
    let cases = [
        (r#"{{index .Config.Labels "com.example.b"}}"#, "two"),
        (r#"{{index .Config.Labels "missing"}}"#, ""),
        ("{{index .Args 1}}", "echo hi"),
        (r#"{{join .Args ","}}"#, "-c,echo hi"),
        (r#"{{split .Config.Image "u"}}"#, "[b sybox]"),
        (
            "{{json .Config.Labels}}",
            r#"{"a":"1","com.example.b":"two"}"#,
        ),
        ("{{json .State.Health}}", "null"),
        ("{{json .Nope}}", "null"),
        ("{{upper .Config.Image}}", "BUSYBOX"),
        ("{{.Config.Image | upper | lower}}", "busybox"),
        ("{{title .State.Status}}", "Exited"),
        ("{{truncate .Id 12}}", "4f66ad9a0b2e"),
        ("{{pad .Config.Image 1 2}}|", " busybox  |"),
        (
            "{{len .Args}} {{len .Config.Labels}} {{len .Name}}",
            "2 2 4",
        ),
        (
            r#"{{printf "%-8s|%5d" .Config.Image .State.ExitCode}}"#,
            "busybox |    3",
        ),
        (r#"{{printf "%q" .Name}}"#, r#""/web""#),
        ("{{print 1 2 \"a\" 3}}", "1 2a3"),
        ("{{println .Name}}", "/web\n"),
        ("{{print .Nope}}", "<nil>"),
        (r#"{{.Name | printf "%s!"}}"#, "/web!"),
        (
            r#"{{(index .NetworkSettings.Ports "80/tcp" 0).HostPort}}"#,
            "8080",
        ),
        (r#"{{slice .Name 1 3}}"#, "we"),
    ];
    for (text, want) in cases {
        assert_eq!(run(text), want, "{text:?}");
    }
}

#[test]
fn control_structures() {
    let cases = [
        ("{{if .State.Running}}up{{else}}down{{end}}", "down"),
        ("{{if eq .State.ExitCode 3}}three{{end}}", "three"),
        (
            "{{if eq .State.Status \"running\"}}r{{else if eq .State.Status \"exited\"}}e{{else}}o{{end}}",
            "e",
        ),
        ("{{if and .Name .Nope}}y{{else}}n{{end}}", "n"),
        ("{{or .Nope \"default\"}}", "default"),
        ("{{and .Name .Config.Image}}", "busybox"),
        ("{{if not .State.Running}}stopped{{end}}", "stopped"),
        ("{{if lt .State.ExitCode 5}}small{{end}}", "small"),
        ("{{with .Config}}{{.Image}}{{end}}", "busybox"),
        ("{{with .Nope}}x{{else}}none{{end}}", "none"),
        ("{{range .Args}}[{{.}}]{{end}}", "[-c][echo hi]"),
        (
            "{{range $i, $a := .Args}}{{$i}}={{$a}};{{end}}",
            "0=-c;1=echo hi;",
        ),
        (
            "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}",
            "a=1 com.example.b=two ",
        ),
        (
            "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
            "10.0.0.2 172.17.0.2 ",
        ),
        (
            "{{range .HostConfig.Binds}}x{{else}}no binds{{end}}",
            "no binds",
        ),
        ("{{range .Nope}}x{{end}}.", "."),
        (
            "{{range $i, $a := .Args}}{{if $i}}{{break}}{{end}}{{$a}}{{end}}",
            "-c",
        ),
        (
            "{{range .Args}}{{if eq . \"-c\"}}{{continue}}{{end}}{{.}}{{end}}",
            "echo hi",
        ),
        ("{{range 3}}{{.}}{{end}}", "012"),
        (
            "{{$n := .Name}}{{with .Config}}{{$n}}:{{.Image}}:{{$.Name}}{{end}}",
            "/web:busybox:/web",
        ),
        ("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"),
        ("a {{- /* comment */ -}} b", "ab"),
        ("{{- .Name -}}\n\n", "/web"),
        ("x\n  {{- .Name}}", "x/web"),
        (
            r#"{{"quoted\tstring"}} {{`raw\t`}} {{'a'}} {{1.5}} {{-3}} {{true}}"#,
            "quoted\tstring raw\\t 97 1.5 -3 true",
        ),
        ("{{(len .Args)}}", "2"),
    ];
    for (text, want) in cases {
        assert_eq!(run(text), want, "{text:?}");
    }
}

#[test]
fn execution_errors_use_go_wording() {
    // Wording and positions checked against `docker context inspect -f`.
    let cases = [
        (
            "{{.Name.Foo}}",
            "template: :1:7: executing \"\" at <.Name.Foo>: can't evaluate field Foo in type string",
        ),
        (
            "{{.State.Health.Status}}",
            "template: :1:8: executing \"\" at <.State.Health.Status>: nil pointer evaluating interface {}.Status",
        ),
        (
            "{{index .Args 5}}",
            "template: :1:2: executing \"\" at <index .Args 5>: error calling index: index out of range: 5",
        ),
        (
            "{{upper .State.ExitCode}}",
            "template: :1:14: executing \"\" at <.State.ExitCode>: wrong type for value; expected string; got int",
        ),
        (
            "{{lower .Nope}}",
            "template: :1:8: executing \"\" at <.Nope>: invalid value; expected string",
        ),
        (
            "{{join .Args}}",
            "template: :1:2: executing \"\" at <join>: wrong number of args for join: want 2 got 1",
        ),
        (
            "{{eq .Name 1}}",
            "template: :1:2: executing \"\" at <eq .Name 1>: error calling eq: incompatible types for comparison",
        ),
        (
            "{{range .Name}}{{end}}",
            "template: :1:8: executing \"\" at <.Name>: range can't iterate over /web",
        ),
        (
            "{{.Name | .Config}}",
            "template: :1:10: executing \"\" at <.Config>: Config is not a method but has arguments",
        ),
        (
            "{{nil}}",
            "template: :1:2: executing \"\" at <nil>: nil is not a command",
        ),
        (
            "{{$x = 1}}",
            "template: :1:7: executing \"\" at <1>: undefined variable: $x",
        ),
        (
            "{{lower 3}}",
            "template: :1:8: executing \"\" at <3>: expected string; found 3",
        ),
        (
            "{{truncate .Name 1.5}}",
            "template: :1:17: executing \"\" at <1.5>: expected integer; found 1.5",
        ),
        (
            "a\n {{.Name.X}}",
            "template: :2:8: executing \"\" at <.Name.X>: can't evaluate field X in type string",
        ),
        (
            "{{len 3}}",
            "template: :1:2: executing \"\" at <len 3>: error calling len: len of type int",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(fail(text), want, "{text:?}");
    }
}

#[test]
fn parse_errors_reach_callers() {
    assert_eq!(fail("{{.ID}"), "template: :1: bad character U+007D '}'");
    assert_eq!(fail("{{if .A}}"), "template: :1: unexpected EOF");
    assert_eq!(
        fail("{{foo}}"),
        "template: :1: function \"foo\" not defined"
    );
}

/// A row type like docker/cli's ContainerContext: fields, a method with an
/// argument, and errors for unknown fields.
struct Row;

impl Object for Row {
    fn type_name(&self) -> &str {
        "*formatter.ContainerContext"
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        Some(match (name, args) {
            ("ID", []) => Ok("4f66ad9a0b2e".into()),
            ("Names", []) => Ok("web".into()),
            ("Label", [key]) => Ok(match key.as_str() {
                Some("a") => "1".into(),
                _ => "".into(),
            }),
            ("Label", _) => Err(format!(
                "wrong number of args for Label: want 1 got {}",
                args.len()
            )),
            _ => return None,
        })
    }
    fn to_json(&self) -> Json {
        json!({"ID": "4f66ad9a0b2e", "Names": "web"})
    }
}

#[test]
fn row_objects_have_methods_and_strict_fields() {
    let row = Value::Object(Rc::new(Row));
    let exec = |text: &str| Template::parse(text).unwrap().execute(&row);
    assert_eq!(exec("{{.ID}}\t{{.Names}}").unwrap(), "4f66ad9a0b2e\tweb");
    assert_eq!(exec(r#"{{.Label "a"}}|{{.Label "b"}}"#).unwrap(), "1|");
    assert_eq!(exec(r#"{{"a" | .Label}}"#).unwrap(), "1");
    assert_eq!(
        exec("{{json .}}").unwrap(),
        r#"{"ID":"4f66ad9a0b2e","Names":"web"}"#
    );
    assert_eq!(
        exec("{{.Foo}}").unwrap_err().0,
        "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.ContainerContext"
    );
}

#[test]
fn header_mode_passes_names_through_string_functions() {
    let header = Value::Data(json!({"ID": "CONTAINER ID", "Names": "NAMES"}));
    let template = Template::parse("{{.ID | lower}}\t{{upper .Names}}\t{{json .Names}}").unwrap();
    assert_eq!(
        template.execute_header_partial(&header),
        ("CONTAINER ID\tNAMES\tNAMES".to_string(), None)
    );
    assert_eq!(
        template.execute(&header).unwrap(),
        "container id\tNAMES\t\"NAMES\""
    );
}
