//! The application methods: AddApplication, GetApplications, SetApplicationInfo,
//! DelApplication.

use super::*;

#[tokio::test]
async fn add_and_get_applications() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;

    let body = api
        .ok("AddApplication", &[("application_name", "alpha")])
        .await;
    let alpha = body["application_id"].as_i64().expect("application_id");
    assert_eq!(
        body,
        json!({
            "result": 1,
            "application_id": alpha,
            "application_name": format!("alpha{SUFFIX}"),
        })
    );
    let beta = api.add_app("beta").await;
    let alpha_two = api.add_app("alpha-two").await;
    let gamma = api.add_app("gamma9").await;

    // Invalid, duplicate, missing.
    let name_65 = format!("a{}", "b".repeat(64));
    let beta_full = format!("beta{SUFFIX}");
    #[rustfmt::skip]
    api.refuses("AddApplication", &[
        (&[("application_name", "Bad_Name")], 107, &["application_name"]),
        (&[("application_name", "1app")], 107, &["application_name"]),
        (&[("application_name", "-app")], 107, &["application_name"]),
        (&[("application_name", "my_app")], 107, &["application_name"]),
        (&[("application_name", "UPPER")], 107, &["application_name"]),
        (&[("application_name", &name_65)], 107, &[]),
        (&[("application_name", "alpha")], 129, &["application_name"]),
        (&[("application_name", &beta_full)], 129, &[]),
        (&[], 134, &[]),
        (&[("application_name", "")], 134, &[]),
    ]).await;

    // All of them, ordered by id, with full names.
    let body = api.ok("GetApplications", &[]).await;
    assert_eq!(
        names_in(&body, "application_name"),
        full(&["alpha", "beta", "alpha-two", "gamma9"])
    );
    let ids = ids_in(&body, "application_id");
    assert_eq!(
        ids.iter().map(i64::to_string).collect::<Vec<_>>(),
        [alpha.to_string(), beta.clone(), alpha_two, gamma]
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(counts(&body), json!([4, 4]));
    for item in body["result"].as_array().expect("array") {
        let fields = ["application_id", "application_name", "modified"];
        assert_eq!(keys(item), fields);
        assert_timestamp(&item["modified"]);
    }

    // application_id is exact; application_name is a substring; paging.
    let gamma_full = format!("gamma9{SUFFIX}");
    #[rustfmt::skip]
    let lists: [Listing; 7] = [
        (&[("application_id", &beta)], &["beta"], 1),
        (&[("application_name", "alpha")], &["alpha", "alpha-two"], 2),
        (&[("application_name", "a-t")], &["alpha-two"], 1),
        (&[("application_name", &gamma_full)], &["gamma9"], 1),
        (&[("count", "2"), ("offset", "1")], &["beta", "alpha-two"], 4),
        (&[("count", "0")], &[], 4),
        (&[("offset", "4")], &[], 4),
    ];
    for (params, names, total) in lists {
        let body = api.ok("GetApplications", params).await;
        let listed = names_in(&body, "application_name");
        assert_eq!(listed, full(names), "{params:?}");
        assert_eq!(counts(&body), json!([names.len(), total]), "{params:?}");
    }
    #[rustfmt::skip]
    api.refuses("GetApplications", &[
        (&[("count", "1001")], 101, &["count"]),
        (&[("count", "abc")], 101, &["count"]),
        (&[("offset", "-1")], 101, &["offset"]),
        (&[("application_id", "abc")], 101, &["application_id"]),
        (&[("application_id", "0")], 101, &["application_id"]),
    ]).await;
}

#[tokio::test]
async fn set_application_info_renames_by_id_or_name() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let first = api.add_app("first").await;
    let by_id = ("application_id", first.as_str());
    let second = api.add_app("second").await;
    api.add_secret(&first, "KEPT", "kept value").await;

    // By id, by name, and by full names for both the old and the new name.
    let (old, new) = (
        format!("second-renamed{SUFFIX}"),
        format!("second-again{SUFFIX}"),
    );
    #[rustfmt::skip]
    let renames = [
        (by_id, "first-renamed", "first-renamed"),
        (("required_application_name", "second"), "second-renamed", "second-renamed"),
        (("required_application_name", old.as_str()), new.as_str(), "second-again"),
    ];
    for (which, name, renamed) in renames {
        let params = [which, ("application_name", name)];
        let body = api.ok("SetApplicationInfo", &params).await;
        let full_name = format!("{renamed}{SUFFIX}");
        let expected = json!({ "result": 1, "application_name": full_name });
        assert_eq!(body, expected, "{which:?}");
    }
    // Both identifiers, agreeing.
    api.ok(
        "SetApplicationInfo",
        &[
            by_id,
            ("required_application_name", "first-renamed"),
            ("application_name", "first-final"),
        ],
    )
    .await;
    let names = full(&["first-final", "second-again"]);
    assert_eq!(api.app_names().await, names);
    // The secrets stay with the application.
    let item = api.value(&first, ("secret_name", "KEPT")).await;
    assert_eq!(item["secret_value"], json!("kept value"));

    // Errors, none of which renames anything.
    let whatever = ("application_name", "whatever");
    let disagreeing = ("required_application_name", "second-again");
    #[rustfmt::skip]
    api.refuses("SetApplicationInfo", &[
        (&[by_id, ("application_name", "second-again")], 129, &["application_name"]),
        (&[by_id, ("application_name", "Bad_Name")], 107, &["application_name"]),
        (&[("application_id", "999999"), whatever], 116, &["application_id"]),
        (&[("required_application_name", "nope"), whatever], 558, &["required_application_name"]),
        (&[by_id], 134, &["application_name"]),
        (&[by_id, ("application_name", "")], 134, &[]),
        (&[whatever], 134, &[]),
        (&[by_id, disagreeing, whatever], 101, &[]),
        (&[("application_id", "abc"), whatever], 101, &["application_id"]),
    ]).await;
    assert_eq!(api.app_names().await, names);
    let body = api
        .ok("GetApplications", &[("application_id", &second)])
        .await;
    assert_eq!(names_in(&body, "application_name"), full(&["second-again"]));
}

#[tokio::test]
async fn del_application_deletes_the_selection_and_its_secrets_or_nothing() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let mut ids = Vec::new();
    for name in ["one", "two", "three", "four", "five"] {
        ids.push(api.add_app(name).await);
    }
    api.add_secret(&ids[0], "IN_ONE", "v").await;
    api.add_secret(&ids[2], "IN_THREE", "v").await;

    // Unknown items: 116 / 558, and nothing goes.
    let known_and_unknown = format!("{};999999", ids[0]);
    #[rustfmt::skip]
    api.refuses("DelApplication", &[
        (&[("application_id", &known_and_unknown)], 116, &["999999"]),
        (&[("application_name", "one;nope")], 558, &["nope"]),
        (&[("application_id", &ids[0]), ("application_name", "nope")], 558, &[]),
        (&[("application_id", "1;;2")], 101, &[]),
        (&[("application_id", "abc")], 101, &[]),
        (&[], 134, &[]),
    ]).await;
    assert_eq!(
        api.app_names().await,
        full(&["one", "two", "three", "four", "five"])
    );
    assert_eq!(api.secret_names(&ids[0]).await, ["IN_ONE"]);

    // A list of ids; the secrets go with the application.
    let first_two = format!("{};{}", ids[0], ids[1]);
    let body = api
        .ok("DelApplication", &[("application_id", &first_two)])
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.app_names().await, full(&["three", "four", "five"]));
    api.expect_error("GetSecrets", &[("application_id", &ids[0])], 116)
        .await;
    api.expect_error("GetSecrets", &[("application_name", "one")], 558)
        .await;
    assert!(
        server
            .call("list_secrets", &[("application_id", &ids[0])])
            .await
            .is_err(),
        "the panel still lists the deleted application's secrets"
    );
    // A new application of the same name starts empty.
    let reborn = api.add_app("one").await;
    assert_ne!(reborn, ids[0]);
    assert_eq!(api.secrets(&reborn, &[]).await["total_count"], json!(0));

    // A list of names, short and full.
    let names = format!("three;four{SUFFIX}");
    let body = api
        .ok("DelApplication", &[("application_name", &names)])
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.app_names().await, full(&["five", "one"]));
    api.expect_error("GetSecrets", &[("application_id", &ids[2])], 116)
        .await;

    // `all`.
    let body = api.ok("DelApplication", &[("application_id", "all")]).await;
    assert_eq!(body, json!({ "result": 1 }));
    let body = api.ok("GetApplications", &[]).await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(body["total_count"], json!(0));
    assert!(panel_app_names(&server).await.is_empty());
}

#[tokio::test]
async fn secret_methods_identify_the_application_the_same_way() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("target").await;
    let by_id = ("application_id", app.as_str());
    let other = api.add_app("bystander").await;
    api.add_secret(&app, "S", "in target").await;
    api.add_secret(&other, "S", "in bystander").await;

    // What each method needs besides the application (valid, so only the application is wrong).
    #[rustfmt::skip]
    let methods: [(&str, &[(&str, &str)]); 5] = [
        ("AddSecret", &[("secret_name", "NEW"), ("secret_value", "v")]),
        ("GetSecrets", &[]),
        ("GetSecretValue", &[("secret_name", "S")]),
        ("SetSecretInfo", &[("secret_name", "S"), ("description", "x")]),
        ("DelSecret", &[("secret_name", "S")]),
    ];
    // Wrong ways to say which application. A full name of another account is not a name here.
    #[rustfmt::skip]
    let applications: [Refusal; 7] = [
        (&[], 134, &["application_id"]),
        (&[by_id, ("application_name", "bystander")], 101, &["application_name"]),
        (&[("application_id", "999999")], 116, &["application_id"]),
        (&[("application_name", "nope")], 558, &["application_name"]),
        (&[("application_name", "target.other.strongroom")], 558, &[]),
        (&[("application_id", "abc")], 101, &["application_id"]),
        (&[("application_id", "-3")], 101, &["application_id"]),
    ];
    for (method, extra) in methods {
        for (application, code, words) in applications {
            let params = [application, extra].concat();
            api.refused(method, &params, code, words).await;
        }
    }
    // Nothing above changed anything.
    for (application, value) in [(&app, "in target"), (&other, "in bystander")] {
        assert_eq!(api.secret_names(application).await, ["S"]);
        let item = api.value(application, ("secret_name", "S")).await;
        assert_eq!(item["secret_value"], json!(value));
        assert!(
            item["description"].as_str().is_none_or(str::is_empty),
            "{item}"
        );
    }

    // Short name, full name, id, and id with an agreeing name all reach the same application.
    let full_name = format!("target{SUFFIX}");
    let by_name = ("application_name", "target");
    let by_full_name = ("application_name", full_name.as_str());
    for application in [
        vec![by_name],
        vec![by_full_name],
        vec![by_id],
        vec![by_id, by_name],
        vec![by_id, by_full_name],
    ] {
        let params = [application.as_slice(), &[("secret_name", "S")]].concat();
        let body = api.ok("GetSecretValue", &params).await;
        let value = &body["result"][0]["secret_value"];
        assert_eq!(value, &json!("in target"), "{application:?}");
    }
    let params = [
        by_full_name,
        ("secret_name", "BY_FULL_NAME"),
        ("secret_value", "v"),
    ];
    assert_ok(&api.ok("AddSecret", &params).await);
    assert_eq!(api.secret_names(&app).await, ["S", "BY_FULL_NAME"]);
    assert_eq!(api.secret_names(&other).await, ["S"]);
}
