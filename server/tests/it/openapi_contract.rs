//! `server/openapi.json`, the OpenAPI 3.1 description of the Management API, against a running
//! server: that it is served as committed, and that every method it lists requires the
//! parameters it says and answers with the error codes it names, and only those.

use crate::support::Server;
use crate::support::api::{METHODS, ServiceAccount, error_code, now, send};
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

#[tokio::test]
async fn openapi_document_is_served_and_matches_the_repository_file() {
    let (_tmp, server) = crate::support::start_temp().await;
    let response = server.get("/platform_api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let served: Value = response.json().await.expect("the document parses as JSON");
    assert_eq!(served["openapi"], json!("3.1.0"));
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("server/openapi.json");
    let file: Value = serde_json::from_str(&file).expect("server/openapi.json parses");
    assert_eq!(served, file);
    for method in METHODS {
        assert!(
            served["paths"][format!("/platform_api/{method}")].is_object(),
            "{method} is not documented"
        );
    }
}

/// What `server/openapi.json` says of one method, `/platform_api/<name>`.
struct DocumentedMethod {
    name: String,
    /// Its parameters: the form body's properties (the GET form lists the same in the query).
    params: Vec<String>,
    required: Vec<String>,
    /// Groups of parameters of which at least one is required: each an `anyOf` of one-name
    /// `required` lists, under `allOf`.
    one_of: Vec<Vec<String>>,
    /// Every error code the document gives it.
    codes: BTreeSet<i64>,
}

/// The codes the document's general parts give every method: 100 through the top-level
/// `security` (no call without credentials), 101 through "Transport" (one name in the query
/// and the body with different values).
const EVERY_METHODS_CODES: [i64; 2] = [100, 101];

/// The methods `doc` describes, each with what it says of it.
fn documented_methods(doc: &Value) -> Vec<DocumentedMethod> {
    let schemas = &doc["components"]["schemas"];
    let codes = &schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"];
    let known: BTreeSet<i64> = codes
        .as_array()
        .expect("the Error schema lists its codes")
        .iter()
        .map(|code| code.as_i64().expect("an integer code"))
        // A real fault, which no call may provoke.
        .filter(|code| *code != 2)
        .collect();
    assert!(
        doc["security"].as_array().is_some_and(|s| !s.is_empty()),
        "the document no longer requires credentials: {}",
        doc["security"]
    );
    let info = doc["info"]["description"]
        .as_str()
        .expect("info.description");
    assert!(info.contains("different values: error 101"), "{info}");
    let names = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|name| name.as_str().expect("a parameter name").to_owned())
            .collect()
    };
    let sorted = |mut names: Vec<String>| {
        names.sort();
        names
    };
    let mut methods = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(name) = path.strip_prefix("/platform_api/") else {
            continue;
        };
        let post = &item["post"];
        if post.is_null() {
            continue; // the document itself: GET only
        }
        assert_eq!(post["operationId"], json!(name), "{path}");
        assert!(
            post.get("security").is_none(),
            "{path} has its own `security`"
        );
        let body = &post["requestBody"]["content"]["application/x-www-form-urlencoded"];
        let reference = body["schema"]["$ref"].as_str().expect("a parameter schema");
        let schema = &schemas[reference.trim_start_matches("#/components/schemas/")];
        // What the parameters must be is said only in the ways read below.
        for key in schema.as_object().expect("a parameter schema").keys() {
            let understood = ["type", "properties", "required", "allOf"];
            assert!(
                understood.contains(&key.as_str()),
                "{name}: `{key}` in its schema"
            );
        }
        let properties = schema["properties"].as_object().expect("properties");
        let params: Vec<String> = properties.keys().cloned().collect();
        let required = names(&schema["required"]);
        let one_of: Vec<Vec<String>> = schema["allOf"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|part| {
                let keys: Vec<&String> = part.as_object().expect("an allOf part").keys().collect();
                assert_eq!(
                    keys,
                    ["anyOf"],
                    "{name}: an allOf part other than anyOf: {part}"
                );
                let alternatives = part["anyOf"].as_array().expect("anyOf is a list");
                assert!(alternatives.len() >= 2, "{name}: an anyOf of one: {part}");
                alternatives
                    .iter()
                    .map(|alternative| {
                        let keys: Vec<&String> = alternative
                            .as_object()
                            .expect("an alternative")
                            .keys()
                            .collect();
                        assert_eq!(keys, ["required"], "{name}: an alternative: {alternative}");
                        match names(&alternative["required"]).as_slice() {
                            [one] if properties.contains_key(one) => one.clone(),
                            other => panic!("{name}: an alternative of {other:?}"),
                        }
                    })
                    .collect()
            })
            .collect();
        let query = item["get"]["parameters"]
            .as_array()
            .expect("GET parameters");
        let query_names = query.iter().map(|p| p["name"].clone()).collect();
        assert_eq!(
            sorted(names(&Value::Array(query_names))),
            sorted(params.clone()),
            "{name}: the GET and POST forms document different parameters"
        );
        let query_required = query
            .iter()
            .filter(|p| p["required"] == json!(true))
            .map(|p| p["name"].clone())
            .collect();
        assert_eq!(
            sorted(names(&Value::Array(query_required))),
            sorted(required.clone()),
            "{name}: the GET and POST forms require different parameters"
        );
        let texts = [&post["description"], &item["get"]["description"]]
            .into_iter()
            .chain(properties.values().map(|p| &p["description"]))
            .chain(query.iter().map(|p| &p["description"]));
        let mut codes = BTreeSet::from(EVERY_METHODS_CODES);
        for text in texts.filter_map(Value::as_str) {
            let numbers = text.split(|c: char| !c.is_ascii_digit());
            codes.extend(
                numbers
                    .filter_map(|n| n.parse().ok())
                    .filter(|n| known.contains(n)),
            );
        }
        methods.push(DocumentedMethod {
            name: name.to_owned(),
            params,
            required,
            one_of,
            codes,
        });
    }
    methods
}

/// The code the Error schema's table gives "a required parameter is missing".
fn missing_parameter_code(doc: &Value) -> i64 {
    let table = doc["components"]["schemas"]["Error"]["description"]
        .as_str()
        .expect("the Error schema's description");
    table
        .lines()
        .find(|row| row.contains("required parameter is missing"))
        .and_then(|row| row.split('|').nth(1))
        .and_then(|code| code.trim().parse().ok())
        .unwrap_or_else(|| panic!("no code for a missing parameter in {table}"))
}

/// One call's own application, `fixture-<n>`, holding `SECRET` and `TAKEN`, and another one
/// beside it, `taken-<n>` (a call may delete either). Made through the panel, so that none of
/// it depends on the API under test.
struct Fixture {
    app_id: String,
    app_name: String,
    secret_id: String,
    other_app: String,
    /// A name nothing has yet.
    fresh: usize,
}

/// A valid value of `param` for `method` on `fixture`: what exists where a parameter names
/// something, a fresh name where it names something new.
fn valid_value(method: &str, param: &str, fixture: &Fixture) -> String {
    let n = fixture.fresh;
    match (method, param) {
        ("AddApplication" | "SetApplicationInfo", "application_name") => format!("fresh-{n}"),
        ("AddSecret", "secret_name") | (_, "new_secret_name") => format!("FRESH_{n}"),
        (_, "application_id") => fixture.app_id.clone(),
        (_, "application_name" | "required_application_name") => fixture.app_name.clone(),
        (_, "secret_id") => fixture.secret_id.clone(),
        (_, "secret_name") => "SECRET".to_owned(),
        (_, "secret_value") => "a value".to_owned(),
        (_, "description") => "a description".to_owned(),
        (_, "secret_name_part") => "SEC".to_owned(),
        (_, "count") => "10".to_owned(),
        (_, "offset") => "0".to_owned(),
        (_, "with_rules" | "with_scenarios" | "secure_record_storage") => "true".to_owned(),
        // Whatever the document may add.
        _ => "x".to_owned(),
    }
}

const OTHER_APP: &str = "{other application}";

/// Values of `param` that are wrong one way or another: unknown, malformed, taken, too long.
/// `OTHER_APP` stands for the fixture's other application.
fn odd_values(param: &str) -> Vec<String> {
    let texts = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
    match param {
        "application_id" | "secret_id" => texts(&["999999", "abc", "0", "1;;2"]),
        "application_name" | "required_application_name" => {
            texts(&["no-such-app", "Bad_Name", OTHER_APP])
        }
        "secret_name" | "new_secret_name" => texts(&["NO_SUCH_SECRET", "1bad", "TAKEN"]),
        "secret_value" => vec!["ж".repeat(8193)],
        "description" => vec!["d".repeat(300)],
        "secret_name_part" => vec!["a".repeat(65)],
        "count" => texts(&["1001", "x"]),
        "offset" => texts(&["-1"]),
        // A legacy credential beside a valid bearer token.
        "account_id" => texts(&["2"]),
        _ => texts(&["", "x"]),
    }
}

#[derive(Clone, Copy, Debug)]
enum Style {
    Post,
    Get,
}

#[derive(Clone, Copy)]
enum Caller {
    Developer,
    Viewer,
    Nobody,
}

/// Calls the methods and keeps what they answered.
struct Contract<'a> {
    server: &'a Server,
    client: reqwest::Client,
    developer: String,
    viewer: String,
    /// The code the document gives a missing parameter.
    missing: i64,
    fixtures: usize,
    /// Per method, each code returned (`None`: success) with the first call that got it.
    seen: BTreeMap<String, BTreeMap<Option<i64>, String>>,
    failures: Vec<String>,
}

impl Contract<'_> {
    async fn fixture(&mut self) -> Fixture {
        self.fixtures += 1;
        let n = self.fixtures;
        let app_name = format!("fixture-{n}");
        let other_app = format!("taken-{n}");
        let app = self.server.create_application(&app_name).await;
        self.server.create_application(&other_app).await;
        let secret = self.server.create_secret(app, "SECRET", "value", "").await;
        self.server.create_secret(app, "TAKEN", "value", "").await;
        Fixture {
            app_id: app.to_string(),
            app_name,
            secret_id: secret.to_string(),
            other_app,
            fresh: n,
        }
    }

    /// `params` in the body (POST) or the query (GET), `query` in the query string.
    async fn call(
        &mut self,
        method: &str,
        what: &str,
        (style, caller): (Style, Caller),
        params: &[(String, String)],
        query: &[(String, String)],
    ) -> Value {
        let url = format!("{}/platform_api/{method}", self.server.base);
        let request = match style {
            Style::Post => self.client.post(url).query(query).form(params),
            Style::Get => self.client.get(url).query(query).query(params),
        };
        let request = match caller {
            Caller::Developer => request.bearer_auth(&self.developer),
            Caller::Viewer => request.bearer_auth(&self.viewer),
            Caller::Nobody => request,
        };
        let body = send(request).await;
        let code = error_code(&body);
        let call = format!("{what} ({style:?}): {params:?} -> {body}");
        let seen = self.seen.entry(method.to_owned()).or_default();
        seen.entry(code).or_insert(call);
        body
    }

    fn fail(&mut self, failure: String) {
        self.failures.push(failure);
    }

    /// Calls `method` with every required parameter (each alternative of each group in
    /// turn), then without each one (or with it empty): success, then the error for a missing
    /// parameter, naming it.
    async fn check_parameters(&mut self, method: &DocumentedMethod) {
        let (m, one_of) = (method.name.as_str(), method.one_of.as_slice());
        let mut choices = vec![vec![0; one_of.len()]];
        for (group, names) in one_of.iter().enumerate() {
            for alternative in 1..names.len() {
                let mut choice = vec![0; one_of.len()];
                choice[group] = alternative;
                choices.push(choice);
            }
        }
        for style in [Style::Post, Style::Get] {
            for choice in &choices {
                let fixture = self.fixture().await;
                let params = baseline(method, choice, &fixture);
                let what = "every required parameter";
                let body = self
                    .call(m, what, (style, Caller::Developer), &params, &[])
                    .await;
                if error_code(&body).is_some() {
                    self.fail(format!("{m} ({style:?}) with {params:?}: {body}"));
                }
            }
            let mut omissions: Vec<(String, Vec<String>, bool)> = Vec::new();
            for name in &method.required {
                omissions.push((format!("without {name}"), vec![name.clone()], false));
                omissions.push((format!("with an empty {name}"), vec![name.clone()], true));
            }
            for names in one_of {
                omissions.push((format!("without any of {names:?}"), names.clone(), false));
            }
            for (what, names, empty) in omissions {
                let fixture = self.fixture().await;
                let full = baseline(method, &vec![0; one_of.len()], &fixture);
                let params: Vec<(String, String)> = full
                    .into_iter()
                    .filter_map(|(k, v)| match (names.contains(&k), empty) {
                        (false, _) => Some((k, v)),
                        (true, true) => Some((k, String::new())),
                        (true, false) => None,
                    })
                    .collect();
                let body = self
                    .call(m, &what, (style, Caller::Developer), &params, &[])
                    .await;
                let msg = body["error"]["msg"].as_str().unwrap_or_default();
                let missing = self.missing;
                if error_code(&body) != Some(missing) || !names.iter().any(|n| msg.contains(n)) {
                    self.fail(format!(
                        "{m} ({style:?}) {what}: expected error {missing} naming it, got {body}"
                    ));
                }
            }
        }
    }

    /// Calls `method` the ways that can go wrong: no credentials, a role that may not, a
    /// conflict between query and body, each parameter with each odd value, and each group
    /// given twice over, naming different things.
    async fn provoke_errors(&mut self, method: &DocumentedMethod) {
        let (m, one_of) = (method.name.as_str(), method.one_of.as_slice());
        let first = vec![0; one_of.len()];
        let group_of = |param: &str| one_of.iter().find(|g| g.iter().any(|n| n == param));
        let write = (Style::Post, Caller::Developer);
        for (what, caller) in [
            ("without credentials", Caller::Nobody),
            ("as a Viewer", Caller::Viewer),
        ] {
            let fixture = self.fixture().await;
            let params = baseline(method, &first, &fixture);
            self.call(m, what, (Style::Post, caller), &params, &[])
                .await;
        }
        let fixture = self.fixture().await;
        let params = baseline(method, &first, &fixture);
        let name = params
            .first()
            .map(|(name, _)| name.clone())
            .or_else(|| method.params.iter().find(|p| *p != "account_id").cloned())
            .unwrap_or_else(|| "x".to_owned());
        let mut body = params.clone();
        if body.iter().all(|(k, _)| *k != name) {
            body.push((name.clone(), "1".to_owned()));
        }
        let query = [(name, "conflicting".to_owned())];
        let what = "one name in the query and the body, with different values";
        self.call(m, what, write, &body, &query).await;

        for param in &method.params {
            for odd in odd_values(param) {
                let fixture = self.fixture().await;
                let odd = odd.replace(OTHER_APP, &fixture.other_app);
                let mut params = baseline(method, &first, &fixture);
                // The odd value alone says which: the others of its group go.
                if let Some(group) = group_of(param) {
                    params.retain(|(k, _)| !group.contains(k));
                }
                params.retain(|(k, _)| k != param);
                params.push((param.clone(), odd.clone()));
                let shown: String = odd.chars().take(16).collect();
                let what = format!("{param}={shown:?}");
                self.call(m, &what, write, &params, &[]).await;
            }
        }
        for group in one_of {
            let [first_name, second_name] = group.as_slice() else {
                continue;
            };
            let fixture = self.fixture().await;
            let mut params = baseline(method, &first, &fixture);
            params.retain(|(k, _)| !group.contains(k));
            let other = match second_name.as_str() {
                "application_name" | "required_application_name" => fixture.other_app.clone(),
                "secret_name" => "TAKEN".to_owned(),
                _ => "x".to_owned(),
            };
            params.push((first_name.clone(), valid_value(m, first_name, &fixture)));
            params.push((second_name.clone(), other));
            let what = format!("{first_name} and {second_name} naming different things");
            self.call(m, &what, write, &params, &[]).await;
        }
    }
}

/// The required parameters and, of each group, the one `choice` picks, with valid values.
fn baseline(
    method: &DocumentedMethod,
    choice: &[usize],
    fixture: &Fixture,
) -> Vec<(String, String)> {
    let picked = method
        .one_of
        .iter()
        .zip(choice)
        .map(|(group, i)| &group[*i]);
    method
        .required
        .iter()
        .chain(picked)
        .map(|name| (name.clone(), valid_value(&method.name, name, fixture)))
        .collect()
}

/// The document against the server: every method it lists, called with what it requires and
/// without, and the ways that go wrong. Each documented error code must come back from some
/// call, and every code a call gets must be one the method's part of the document names.
#[tokio::test]
async fn every_method_in_the_openapi_document_requires_and_fails_as_it_says() {
    let (_tmp, server) = crate::support::start_temp().await;
    let response = server.get("/platform_api/openapi.json").await;
    let doc: Value = response.json().await.expect("the document parses as JSON");
    let methods = documented_methods(&doc);
    let mut names: Vec<&str> = methods.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    let dispatch = &doc["paths"]["/platform_api"]["post"]["requestBody"]["content"];
    let form = &dispatch["application/x-www-form-urlencoded"]["schema"];
    let cmd = &form["properties"]["cmd"]["enum"];
    let mut cmds: Vec<&str> = cmd
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    cmds.sort_unstable();
    assert_eq!(cmds, names, "`cmd` lists other methods than the paths");
    assert!(names.len() >= METHODS.len(), "{names:?}");

    let token = |key: &ServiceAccount| {
        let now = now();
        key.token_with(json!("1"), now - 5, now + 3000)
    };
    let developer = token(&ServiceAccount::create(&server, "Developer").await);
    let viewer = token(&ServiceAccount::create(&server, "Viewer").await);
    let mut contract = Contract {
        server: &server,
        client: reqwest::Client::new(),
        developer,
        viewer,
        missing: missing_parameter_code(&doc),
        fixtures: 0,
        seen: BTreeMap::new(),
        failures: Vec::new(),
    };
    for method in &methods {
        contract.check_parameters(method).await;
        contract.provoke_errors(method).await;
    }

    let mut failures = std::mem::take(&mut contract.failures);
    for method in &methods {
        let m = method.name.as_str();
        let seen = &contract.seen[m];
        for (code, call) in seen {
            let Some(code) = code else { continue };
            if !method.codes.contains(code) {
                failures.push(format!(
                    "{m} returned {code}, which it does not document: {call}"
                ));
            }
        }
        for code in &method.codes {
            if !seen.contains_key(&Some(*code)) {
                failures.push(format!("{m} documents {code}, but no call got it"));
            }
        }
        let documented: Vec<_> = method.codes.iter().collect();
        println!(
            "{m}: documents {documented:?}, answered {:?}",
            seen.keys().collect::<Vec<_>>()
        );
    }
    assert!(
        failures.is_empty(),
        "the server and server/openapi.json disagree:\n{}",
        failures.join("\n")
    );
}
