//! How a call reaches a method: the four call styles and three parameter sources are
//! equivalent; transport and credential errors come before any method runs.

use super::*;

#[tokio::test]
async fn all_call_styles_and_parameter_sources_are_equivalent() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("styles").await;
    let creds = api.credentials();
    let form = |extra: &[(&str, &str)]| [pairs(extra), creds.clone()].concat();
    let secret = |name: &'static str, value: &'static str| {
        vec![
            ("application_id", app.as_str()),
            ("secret_name", name),
            ("secret_value", value),
        ]
    };
    let multipart = |fields: Vec<(String, String)>| {
        fields
            .into_iter()
            .fold(reqwest::multipart::Form::new(), |f, (k, v)| f.text(k, v))
    };
    let c = &api.client;
    let by_cmd = api.url("/platform_api");
    let add_path = api.url("/platform_api/AddSecret");
    let list_path = api.url("/platform_api/GetSecrets");

    // Each style adds one secret whose value needs careful encoding.
    let mut added = Vec::new();
    for (name, value) in [
        ("POST_PATH", "post path & form=1;+%"),
        ("GET_PATH", "get path ?#=&+ жёлудь"),
        ("POST_CMD", "post cmd 😀\nline two"),
        ("GET_CMD", "get cmd  spaces  "),
        ("MULTIPART", "multi\r\npart; name=\"x\""),
        ("MULTIPART_CMD", "multipart with cmd"),
        ("JSON_EMPTY", "json {} body ignored"),
        ("SPLIT", "split query and body"),
    ] {
        let params = secret(name, value);
        let with_cmd = [params.clone(), vec![("cmd", "AddSecret")]].concat();
        let request = match name {
            "POST_PATH" => c.post(&add_path).form(&form(&params)),
            "GET_PATH" => c.get(&add_path).query(&form(&params)),
            "POST_CMD" => c.post(&by_cmd).form(&form(&with_cmd)),
            "GET_CMD" => c.get(&by_cmd).query(&form(&with_cmd)),
            "MULTIPART" => c.post(&add_path).multipart(multipart(form(&params))),
            "MULTIPART_CMD" => c.post(&by_cmd).multipart(multipart(form(&with_cmd))),
            "JSON_EMPTY" => c.post(&add_path).query(&form(&params)).json(&json!({})),
            // Credentials in the query, the rest in the body.
            "SPLIT" => c.post(&add_path).query(&creds).form(&params),
            _ => unreachable!(),
        };
        let body = send(request).await;
        assert_ok(&body);
        let result = body["result"].as_array().expect("result array");
        assert_eq!(result.len(), 1, "{name}: {body}");
        assert_eq!(keys(&result[0]), vec!["secret_id"], "{name}: {body}");
        added.push((name, value, result[0]["secret_id"].as_i64().expect("id")));
    }
    for (name, value, id) in &added {
        let item = api.value(&app, ("secret_name", name)).await;
        assert_eq!(item["secret_value"], json!(value), "{name}");
        assert_eq!(item["secret_id"], json!(id), "{name}");
    }

    // The same read in every style gives the same answer.
    let list = [("application_id", app.as_str()), ("count", "1000")];
    let with_cmd = [list.as_slice(), &[("cmd", "GetSecrets")]].concat();
    let mut answers = Vec::new();
    for request in [
        c.post(&list_path).form(&form(&list)),
        c.get(&list_path).query(&form(&list)),
        c.post(&by_cmd).form(&form(&with_cmd)),
        c.get(&by_cmd).query(&form(&with_cmd)),
        c.post(&list_path).multipart(multipart(form(&list))),
        c.post(&list_path).query(&form(&list)).json(&json!({})),
    ] {
        answers.push(send(request).await);
    }
    let expected: Vec<String> = added.iter().map(|(n, _, _)| (*n).to_owned()).collect();
    assert_eq!(names_in(&answers[0], "secret_name"), expected);
    assert_eq!(answers[0]["total_count"], json!(added.len()));
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer, &answers[0], "style {i} differs");
    }

    // One name from query and body: different values are refused, equal ones are fine.
    for body_name in ["BODY_NAME", "QUERY_NAME"] {
        let request = c
            .post(&add_path)
            .query(&form(&[("secret_name", "QUERY_NAME")]))
            .form(&[
                ("application_id", app.as_str()),
                ("secret_name", body_name),
                ("secret_value", "v"),
            ]);
        let body = send(request).await;
        if body_name == "BODY_NAME" {
            let msg = assert_error(&body, 101);
            assert!(msg.contains("secret_name"), "{msg}");
        } else {
            assert_ok(&body);
        }
    }
    let multipart_conflict = c
        .post(&add_path)
        .query(&[("secret_name", "QUERY_ONLY")])
        .multipart(multipart(form(&secret("MULTIPART_OTHER", "v"))));
    assert_error(&send(multipart_conflict).await, 101);
    // `cmd` naming another method than the path.
    let cmd_conflict = c
        .post(&list_path)
        .form(&form(&[("application_id", &app), ("cmd", "DelSecret")]));
    assert_error(&send(cmd_conflict).await, 101);

    let mut names = expected.clone();
    names.push("QUERY_NAME".into());
    assert_eq!(
        api.secret_names(&app).await,
        names,
        "refused calls added nothing"
    );
}

#[tokio::test]
async fn transport_and_credential_errors() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let c = &api.client;
    let creds = api.credentials();
    let key = api.key();
    let root = api.url("/platform_api");
    let get_apps = || c.post(api.url("/platform_api/GetApplications"));
    let none = api.with(Auth::None);
    let wrong_key = api.with(Auth::Key("not-the-key".into()));
    let garbage_jwt = api.bearer("not.a.jwt".into());
    let unknown_cmd = [creds.clone(), pairs(&[("cmd", "GetSecretz")])].concat();
    let multipart_type = "multipart/form-data; boundary=XYZ";
    let bad_part = "--XYZ\r\nthis is not a part header\r\n\r\nv\r\n";

    #[rustfmt::skip]
    let refused: Vec<(RequestBuilder, i64)> = vec![
        // Missing cmd: 102, whichever way /platform_api is called.
        (c.post(&root).form(&creds), 102),
        (c.get(&root).query(&creds), 102),
        (c.get(&root), 102),
        (c.post(api.url("/platform_api/")).form(&creds), 102),
        // Unknown method: 103, by path and by cmd.
        (api.request("NoSuchMethod", &[]), 103),
        (c.get(&root).query(&unknown_cmd), 103),
        // Unreadable bodies are API errors too (HTTP 200, JSON), not HTTP errors.
        (get_apps().query(&creds).header(CONTENT_TYPE, multipart_type).body(bad_part), 101),
        (get_apps().query(&creds).header(CONTENT_TYPE, "text/plain").body("application_name=x"),
            101),
        // Credentials: none, a wrong key, no account, another account, no key, not a bearer
        // token, a malformed JWT.
        (none.request("GetApplications", &[]), 100),
        (wrong_key.request("GetApplications", &[]), 100),
        (get_apps().form(&[("api_key", key)]), 100),
        (get_apps().form(&[("account_id", "2"), ("api_key", key)]), 100),
        (get_apps().form(&[("account_id", "1")]), 100),
        (get_apps().header(AUTHORIZATION, "Basic YWxhZGRpbjpvcGVuc2VzYW1l"), 100),
        (garbage_jwt.request("GetApplications", &[]), 100),
        // Refused calls change nothing (see the count below).
        (none.request("AddApplication", &[("application_name", "sneaky")]), 100),
    ];
    for (request, code) in refused {
        assert_error(&send(request).await, code);
    }

    // The right key works; regenerating it retires the old one at once.
    api.ok("GetApplications", &[]).await;
    let fresh = Api::legacy(&server).await;
    assert_error(&api.call("GetApplications", &[]).await, 100);
    let body = fresh.ok("GetApplications", &[]).await;
    assert_eq!(body["total_count"], json!(0), "{body}");
}
