//! The secret methods: AddSecret, GetSecrets, GetSecretValue, SetSecretInfo, DelSecret, each
//! with its documented errors, and the ways they name an application.

use super::*;

#[tokio::test]
async fn add_secret_validates_and_returns_an_array_of_one_id() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("adding").await;
    let in_app = ("application_id", app.as_str());
    let add = async |name: &str, value: &str| {
        let params = [in_app, ("secret_name", name), ("secret_value", value)];
        api.call("AddSecret", &params).await
    };

    let first = add("FIRST", "v").await;
    assert_ok(&first);
    let result = first["result"].as_array().expect("array");
    assert_eq!(result.len(), 1, "{first}");
    assert_eq!(keys(&result[0]), vec!["secret_id"], "{first}");
    let first_id = result[0]["secret_id"].as_i64().expect("id");
    assert!(first_id > 0);
    let second = add("SECOND", "v").await;
    let second_id = second["result"][0]["secret_id"].as_i64().expect("id");
    assert!(second_id > first_id, "{second}");

    // Missing or empty name or value: 134; invalid names: 101; both naming the parameter.
    let name_65 = format!("a{}", "b".repeat(64));
    #[rustfmt::skip]
    api.refuses("AddSecret", &[
        (&[in_app, ("secret_value", "v")], 134, &["secret_name"]),
        (&[in_app, ("secret_name", "X")], 134, &["secret_value"]),
        (&[in_app, ("secret_name", "X"), ("secret_value", "")], 134, &["secret_value"]),
        (&[in_app, ("secret_name", "1abc"), ("secret_value", "v")], 101, &["secret_name"]),
        (&[in_app, ("secret_name", &name_65), ("secret_value", "v")], 101, &["secret_name"]),
        (&[in_app, ("secret_name", "a-b"), ("secret_value", "v")], 101, &["secret_name"]),
    ]).await;
    // An overlong value: 101, naming the parameter but not echoing the value.
    let value_8193 = "x".repeat(8193);
    let msg = assert_error(&add("TOO_LONG", &value_8193).await, 101);
    assert!(msg.contains("secret_value"), "{msg}");
    assert!(
        !msg.contains(&"x".repeat(100)),
        "the error echoes the value: {msg}"
    );

    // Limits are in characters: 64 for a name, 8192 four-byte characters for a value.
    let longest_name = format!("a{}", "B_9".repeat(21));
    assert_eq!(longest_name.len(), 64);
    let emoji = "😀".repeat(8192);
    assert_ok(&add(&longest_name, &emoji).await);
    let item = api.value(&app, ("secret_name", &longest_name)).await;
    assert_eq!(item["secret_value"].as_str(), Some(emoji.as_str()));
    assert_error(&add("EMOJI_OVER", &"😀".repeat(8193)).await, 101);

    // The description is cut to its first 200 characters.
    let long = format!("{}{}", "ж".repeat(199), "é+&;xyz");
    api.add_described(&app, "DESCRIBED", "v", &long).await;
    let item = api.value(&app, ("secret_name", "DESCRIBED")).await;
    assert_eq!(item["description"], json!(format!("{}é", "ж".repeat(199))));

    // Duplicates, case-sensitively.
    let msg = assert_error(&add("FIRST", "other").await, 493);
    assert_eq!(msg, "The 'secret_name' is not unique.");
    assert_ok(&add("first", "lower case is another name").await);
    // The same name in another application is fine.
    let other = api.add_app("adding-other").await;
    api.add_secret(&other, "FIRST", "v").await;

    assert_eq!(
        api.secret_names(&app).await,
        ["FIRST", "SECOND", &longest_name, "DESCRIBED", "first"],
        "refused calls added nothing"
    );
}

#[tokio::test]
async fn get_secrets_filters_orders_and_pages() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("listing").await;
    let in_app = ("application_id", app.as_str());
    let other = api.add_app("listing-other").await;
    api.add_secret(&other, "OTHER_KEY", "v").await;
    let alpha = api
        .add_described(&app, "Alpha", "alpha-value-canary", "first one")
        .await;
    for name in ["beta_KEY", "GAMMA_key", "delta", "AxKEY"] {
        api.add_secret(&app, name, "v").await;
    }

    let all = ["Alpha", "beta_KEY", "GAMMA_key", "delta", "AxKEY"];
    let body = api.secrets(&app, &[]).await;
    assert_eq!(names_in(&body, "secret_name"), all);
    assert_eq!(body["total_count"], json!(5));
    let ids = ids_in(&body, "secret_id");
    assert_eq!(ids[0].to_string(), alpha);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not by id: {ids:?}");
    assert!(
        !body.to_string().contains("alpha-value-canary"),
        "a list carried a value: {body}"
    );
    let items = body["result"].as_array().expect("array");
    let fields = ["created", "modified", "secret_id", "secret_name"];
    assert_eq!(
        keys(&items[0]),
        [
            "created",
            "description",
            "modified",
            "secret_id",
            "secret_name"
        ]
    );
    assert_eq!(items[0]["description"], json!("first one"));
    for item in &items[1..] {
        assert_eq!(keys(item), fields, "an empty description must be omitted");
    }
    for item in items {
        assert_timestamp(&item["created"]);
        assert_timestamp(&item["modified"]);
    }

    // Case-insensitive substring; `_` is a literal character, not a wildcard. Paging:
    // count/offset select, total_count ignores them. `secrets` checks count == items.
    #[rustfmt::skip]
    let lists: [Listing; 13] = [
        (&[("secret_name_part", "key")], &["beta_KEY", "GAMMA_key", "AxKEY"], 3),
        (&[("secret_name_part", "KEY")], &["beta_KEY", "GAMMA_key", "AxKEY"], 3),
        (&[("secret_name_part", "Key")], &["beta_KEY", "GAMMA_key", "AxKEY"], 3),
        (&[("secret_name_part", "a_k")], &["beta_KEY", "GAMMA_key"], 2),
        (&[("secret_name_part", "%")], &[], 0),
        (&[("secret_name_part", "\\")], &[], 0),
        (&[("secret_name_part", "nothing")], &[], 0),
        (&[("count", "2"), ("offset", "1")], &["beta_KEY", "GAMMA_key"], 5),
        (&[("count", "0"), ("offset", "0")], &[], 5),
        (&[("count", "1000"), ("offset", "0")], &all, 5),
        (&[("count", "10"), ("offset", "5")], &[], 5),
        (&[("count", "10"), ("offset", "4000000000")], &[], 5),
        (&[("secret_name_part", "key"), ("offset", "2")], &["AxKEY"], 3),
    ];
    for (params, names, total) in lists {
        let body = api.secrets(&app, params).await;
        assert_eq!(names_in(&body, "secret_name"), names, "{params:?}");
        assert_eq!(body["total_count"], json!(total), "{params:?}: {body}");
    }
    #[rustfmt::skip]
    api.refuses("GetSecrets", &[
        (&[in_app, ("count", "1001")], 101, &["count"]),
        (&[in_app, ("count", "abc")], 101, &["count"]),
        (&[in_app, ("count", "-1")], 101, &["count"]),
        (&[in_app, ("count", "1.5")], 101, &["count"]),
        (&[in_app, ("offset", "-1")], 101, &["offset"]),
        (&[in_app, ("offset", "x")], 101, &["offset"]),
    ]).await;

    // The default page is 20 items.
    for i in 0..17 {
        api.add_secret(&app, &format!("FILL_{i:02}"), "v").await;
    }
    let body = api.secrets(&app, &[]).await;
    assert_eq!(body["count"], json!(20));
    assert_eq!(body["total_count"], json!(22));
    assert_eq!(api.secret_names(&other).await, ["OTHER_KEY"]);
}

#[tokio::test]
async fn get_secret_value_by_id_or_name() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("reading").await;
    let in_app = ("application_id", app.as_str());
    let other = api.add_app("reading-other").await;
    let id_s = api
        .add_described(&app, "TOKEN", "s3cr3t value\n", "the token")
        .await;
    let second = api.add_secret(&app, "SECOND", "second value").await;
    let foreign = api.add_secret(&other, "FOREIGN", "foreign value").await;

    let body = api
        .ok("GetSecretValue", &[in_app, ("secret_id", &id_s)])
        .await;
    let result = body["result"].as_array().expect("array of one");
    assert_eq!(result.len(), 1, "{body}");
    let item = &result[0];
    assert_eq!(
        keys(item),
        [
            "created",
            "description",
            "modified",
            "secret_id",
            "secret_name",
            "secret_value"
        ]
    );
    assert_eq!(item["secret_id"].to_string(), id_s);
    assert_eq!(
        name_value_description(item),
        json!(["TOKEN", "s3cr3t value\n", "the token"])
    );
    assert_timestamp(&item["created"]);
    assert_timestamp(&item["modified"]);

    let by_name = api.value(&app, ("secret_name", "TOKEN")).await;
    assert_eq!(&by_name, item);
    let both = [in_app, ("secret_id", &id_s), ("secret_name", "TOKEN")];
    assert_eq!(&api.ok("GetSecretValue", &both).await["result"][0], item);
    let second_item = api.value(&app, ("secret_id", &second)).await;
    assert_eq!(second_item["secret_value"], json!("second value"));

    // Disagreeing, unknown (names are case-sensitive; another application's secret is unknown
    // here).
    #[rustfmt::skip]
    let messages = api.refuses("GetSecretValue", &[
        (&[in_app, ("secret_id", &id_s), ("secret_name", "SECOND")], 101, &[]),
        (&[in_app, ("secret_id", "999999")], 101, &["secret_id"]),
        (&[in_app, ("secret_name", "NOPE")], 101, &["secret_name", "NOPE"]),
        (&[in_app, ("secret_name", "token")], 101, &[]),
        (&[in_app, ("secret_id", &foreign)], 101, &[]),
        (&[in_app, ("secret_name", "FOREIGN")], 101, &[]),
    ]).await;
    for msg in messages {
        assert!(!msg.contains("foreign value"), "{msg}");
    }
    let overwrite = [
        in_app,
        ("secret_id", &foreign),
        ("secret_value", "overwritten"),
        ("description", "overwritten"),
    ];
    api.expect_error("SetSecretInfo", &overwrite, 101).await;
    let untouched = api.value(&other, ("secret_id", &foreign)).await;
    assert_eq!(untouched["secret_value"], json!("foreign value"));
    assert_eq!(untouched["description"], json!(""));
    // Malformed, missing.
    let malformed = [in_app, ("secret_id", "abc")];
    api.refused("GetSecretValue", &malformed, 101, &["secret_id"])
        .await;
    let msg = api.expect_error("GetSecretValue", &[in_app], 134).await;
    assert!(
        msg.contains("secret_id") || msg.contains("secret_name"),
        "{msg}"
    );
}

#[tokio::test]
async fn set_secret_info_changes_only_given_fields() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("changing").await;
    let in_app = ("application_id", app.as_str());
    let one = api.add_described(&app, "ONE", "value-1", "desc-1").await;
    let by_id = ("secret_id", one.as_str());
    api.add_secret(&app, "TWO", "value-2").await;
    let set = async |params: &[(&str, &str)]| {
        let body = api.ok("SetSecretInfo", &[&[in_app], params].concat()).await;
        assert_eq!(body, json!({ "result": 1 }));
    };
    let one_now = async || api.value(&app, by_id).await;
    let fields_now = async || name_value_description(&one_now().await);
    let before = one_now().await;
    // Timestamps have one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The description only.
    set(&[by_id, ("description", "desc-2")]).await;
    let after = one_now().await;
    assert_eq!(
        name_value_description(&after),
        json!(["ONE", "value-1", "desc-2"])
    );
    assert_eq!(after["created"], before["created"]);
    assert_timestamp(&after["modified"]);
    assert!(
        after["modified"].as_str() > before["modified"].as_str(),
        "modified did not move: {before} -> {after}"
    );

    // The value only, naming the secret by name.
    set(&[("secret_name", "ONE"), ("secret_value", "value-1b")]).await;
    assert_eq!(fields_now().await, json!(["ONE", "value-1b", "desc-2"]));

    // The name only.
    set(&[by_id, ("new_secret_name", "UNO")]).await;
    assert_eq!(fields_now().await, json!(["UNO", "value-1b", "desc-2"]));
    api.expect_error("GetSecretValue", &[in_app, ("secret_name", "ONE")], 101)
        .await;

    // All three at once; the description is cut to 200 characters here too.
    let long = "d".repeat(250);
    set(&[
        ("secret_name", "UNO"),
        ("new_secret_name", "ONE"),
        ("secret_value", "value-1c"),
        ("description", &long),
    ])
    .await;
    let expected = json!(["ONE", "value-1c", "d".repeat(200)]);
    assert_eq!(fields_now().await, expected);

    // An empty description given clears it (GetSecrets then omits it).
    set(&[by_id, ("description", "")]).await;
    let listed = api.secrets(&app, &[]).await;
    assert!(listed["result"][0].get("description").is_none(), "{listed}");

    // Errors, none of which changes anything.
    let snapshot = one_now().await;
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[in_app, by_id, ("new_secret_name", "TWO")],
            493,
        )
        .await;
    assert_eq!(msg, "The 'secret_name' is not unique.");
    let value_8193 = "v".repeat(8193);
    let would_change = ("description", "would change");
    #[rustfmt::skip]
    api.refuses("SetSecretInfo", &[
        (&[in_app, by_id], 134, &[]),
        (&[in_app, by_id, ("secret_value", "")], 101, &["secret_value"]),
        (&[in_app, by_id, ("secret_value", &value_8193)], 101, &["secret_value"]),
        (&[in_app, by_id, ("new_secret_name", "1abc"), would_change], 101, &["new_secret_name"]),
        (&[in_app, ("secret_id", "999999"), ("description", "x")], 101, &["secret_id"]),
        (&[in_app, ("secret_name", "NOPE"), ("description", "x")], 101, &["secret_name"]),
        (&[in_app, ("description", "x")], 134, &[]),
    ]).await;
    assert_eq!(one_now().await, snapshot);
    assert_eq!(api.secret_names(&app).await, ["ONE", "TWO"]);
}

#[tokio::test]
async fn del_secret_deletes_the_union_or_nothing() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("deleting").await;
    let in_app = ("application_id", app.as_str());
    let other = api.add_app("deleting-other").await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D", "E", "F"] {
        ids.push(api.add_secret(&app, name, "v").await);
    }
    let foreign = api.add_secret(&other, "A", "v").await;
    let del =
        async |params: &[(&str, &str)]| api.call("DelSecret", &[&[in_app], params].concat()).await;

    // One unknown item among known ones: 101, and nothing goes. Another application's secret
    // is unknown here. Malformed lists. Neither list: 134.
    let known_and_unknown = format!("{};999999", ids[0]);
    #[rustfmt::skip]
    api.refuses("DelSecret", &[
        (&[in_app, ("secret_id", &known_and_unknown)], 101, &["999999"]),
        (&[in_app, ("secret_name", "A;NOPE")], 101, &["NOPE"]),
        (&[in_app, ("secret_id", &ids[0]), ("secret_name", "NOPE")], 101, &[]),
        (&[in_app, ("secret_id", &foreign)], 101, &[]),
        (&[in_app, ("secret_id", "1;;2")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", ";")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "1;")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "x")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "0")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "-1")], 101, &["secret_id"]),
        (&[in_app, ("secret_name", "A;;B")], 101, &[]),
        (&[in_app], 134, &[]),
    ]).await;
    let body = api.secrets(&app, &[]).await;
    assert_eq!(
        body["total_count"],
        json!(6),
        "a refused call deleted: {body}"
    );
    assert_eq!(api.secret_names(&app).await, ["A", "B", "C", "D", "E", "F"]);

    // Ids and names together delete their union (overlaps are fine).
    let first_two = format!("{};{}", ids[0], ids[1]);
    let body = del(&[("secret_id", &first_two), ("secret_name", "B;C")]).await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.secret_names(&app).await, ["D", "E", "F"]);
    assert_eq!(del(&[("secret_name", "D")]).await, json!({ "result": 1 }));
    assert_eq!(api.secret_names(&app).await, ["E", "F"]);
    // A deleted secret is unknown from then on.
    assert_error(&del(&[("secret_id", &ids[0])]).await, 101);

    // `all` empties this application only.
    assert_eq!(del(&[("secret_id", "all")]).await, json!({ "result": 1 }));
    assert_eq!(api.secrets(&app, &[]).await["total_count"], json!(0));
    assert_eq!(api.secret_names(&other).await, ["A"]);

    // Ids are never reused, not even the highest one once it is gone.
    api.ok(
        "DelSecret",
        &[("application_id", &other), ("secret_id", &foreign)],
    )
    .await;
    let again = api.add_secret(&app, "A", "v").await;
    let max_old = ids
        .iter()
        .chain([&foreign])
        .map(|id| id.parse::<i64>().expect("id"))
        .max()
        .expect("ids");
    assert!(
        again.parse::<i64>().expect("id") > max_old,
        "{again} reused"
    );
}
