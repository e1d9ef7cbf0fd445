//! `users` and `user(id)`: who sees whom, keyset pagination and search.

use serde_json::{json, Value};

use crate::helpers::{data, error_code, ids, spawn_app, spawn_app_with, TestApp, PASSWORD};

const USERS: &str = "query Users($first: Int, $after: String, $search: String) {
  users(first: $first, after: $after, search: $search) {
    totalCount
    edges { cursor node { id username } }
    nodes { id username }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

const USER: &str = "query User($id: ID!) { user(id: $id) { id username } }";

async fn users(app: &TestApp, token: &str, variables: Value) -> Value {
    app.graphql_with_token(token, USERS, variables).await
}

/// The sorted usernames `search` finds, as the given caller.
async fn search(app: &TestApp, token: &str, term: &str) -> Vec<String> {
    let body = users(app, token, json!({ "search": term, "first": 100 })).await;
    let mut names: Vec<String> = data(&body)["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_non_admin_sees_only_themselves() {
    // Arrange
    let app = spawn_app().await;
    let other = app.register_user("quagmire").await;
    let user = app.signed_in_user("cleveland").await;
    app.register_user("joe").await;

    // Act
    let list = users(&app, &user.access, Value::Null).await;
    let lookup_other = app
        .graphql_with_token(&user.access, USER, json!({ "id": other }))
        .await;
    let lookup_self = app
        .graphql_with_token(&user.access, USER, json!({ "id": user.id }))
        .await;

    // Assert
    let connection = &data(&list)["users"];
    assert_eq!(connection["totalCount"], 1);
    assert_eq!(ids(&connection["nodes"]), [user.id.as_str()]);
    assert_eq!(connection["pageInfo"]["hasNextPage"], false);
    assert_eq!(data(&lookup_other)["user"], Value::Null);
    assert_eq!(data(&lookup_self)["user"]["id"], user.id.as_str());
}

#[tokio::test]
async fn an_open_user_directory_shows_everyone_to_a_non_admin() {
    // Arrange
    let app = spawn_app_with(|settings| settings.open_user_directory = true).await;
    let other = app.register_user("quagmire").await;
    let user = app.signed_in_user("cleveland").await;
    app.register_user("joe").await;

    // Act
    let list = users(&app, &user.access, Value::Null).await;
    let lookup_other = app
        .graphql_with_token(&user.access, USER, json!({ "id": other }))
        .await;

    // Assert
    let connection = &data(&list)["users"];
    assert_eq!(connection["totalCount"], 3);
    assert_eq!(connection["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(data(&lookup_other)["user"]["username"], "quagmire");
}

#[tokio::test]
async fn an_admin_sees_every_user() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let other = app.register_user("quagmire").await;
    app.register_user("joe").await;

    // Act
    let list = users(&app, &admin.access, Value::Null).await;
    let lookup_other = app
        .graphql_with_token(&admin.access, USER, json!({ "id": other }))
        .await;

    // Assert
    let connection = &data(&list)["users"];
    assert_eq!(connection["totalCount"], 3);
    let mut names: Vec<&str> = connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["username"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["admin", "joe", "quagmire"]);
    assert_eq!(data(&lookup_other)["user"]["username"], "quagmire");
}

#[tokio::test]
async fn anonymous_callers_cannot_list_users() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("quagmire").await;

    // Act
    let body = app.graphql(USERS, Value::Null).await;

    // Assert
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn paging_with_end_cursors_visits_every_user_once_in_id_order() {
    // Arrange: users are registered one by one, so ids grow in this order.
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let mut expected = vec!["admin".to_owned()];
    for i in 1..=7 {
        let name = format!("pageuser{i}");
        app.register_user(&name).await;
        expected.push(name);
    }

    // Act
    let mut seen = Vec::new();
    let mut page_sizes = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = users(&app, &admin.access, json!({ "first": 3, "after": after })).await;
        let connection = &data(&body)["users"];
        assert_eq!(connection["totalCount"], 8, "{body}");
        let edges = connection["edges"].as_array().unwrap();
        let nodes = connection["nodes"].as_array().unwrap();
        assert_eq!(edges.len(), nodes.len());
        for (edge, node) in edges.iter().zip(nodes) {
            assert_eq!(edge["node"], *node);
            seen.push(node["username"].as_str().unwrap().to_owned());
        }
        page_sizes.push(nodes.len());
        let page_info = &connection["pageInfo"];
        if let Some(last) = edges.last() {
            assert_eq!(page_info["endCursor"], last["cursor"]);
            assert_eq!(page_info["startCursor"], edges[0]["cursor"]);
        }
        if page_info["hasNextPage"] != true {
            break;
        }
        after = page_info["endCursor"].clone();
        assert!(after.is_string(), "hasNextPage without endCursor: {body}");
        assert!(page_sizes.len() < 10, "paging does not end: {seen:?}");
    }

    // Assert
    assert_eq!(page_sizes, [3, 3, 2]);
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn search_matches_username_email_and_names_case_insensitively() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let register = "mutation R($input: RegisterInput!) { register(input: $input) { id } }";
    for input in [
        json!({ "username": "kermit", "email": "kermit@muppets.test",
                "firstName": "Kermit", "lastName": "Frog", "password": PASSWORD }),
        json!({ "username": "piggy", "email": "diva@pigsty.test",
                "firstName": "Miss", "lastName": "Piggy", "password": PASSWORD }),
        json!({ "username": "gonzo", "email": "gonzo@muppets.test",
                "firstName": "The", "lastName": "Great", "password": PASSWORD }),
    ] {
        data(&app.graphql(register, json!({ "input": input })).await);
    }

    // Act + Assert
    assert_eq!(search(&app, &admin.access, "KERM").await, ["kermit"]);
    assert_eq!(
        search(&app, &admin.access, "PigSty").await,
        ["piggy"],
        "email"
    );
    assert_eq!(
        search(&app, &admin.access, "miss").await,
        ["piggy"],
        "first name"
    );
    assert_eq!(
        search(&app, &admin.access, "GREAT").await,
        ["gonzo"],
        "last name"
    );
    assert_eq!(
        search(&app, &admin.access, "muppets").await,
        ["gonzo", "kermit"]
    );
    assert!(search(&app, &admin.access, "fozzie").await.is_empty());
    let body = users(&app, &admin.access, json!({ "search": "muppets" })).await;
    assert_eq!(
        data(&body)["users"]["totalCount"],
        2,
        "totalCount counts matches"
    );
}

#[tokio::test]
async fn search_treats_percent_and_underscore_literally() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let register = "mutation R($input: RegisterInput!) { register(input: $input) { id } }";
    for (username, last_name) in [("scoreone", "under_score"), ("scoretwo", "underXscore")] {
        let input = json!({ "username": username, "lastName": last_name, "password": PASSWORD });
        data(&app.graphql(register, json!({ "input": input })).await);
    }

    // Act + Assert
    assert!(search(&app, &admin.access, "%").await.is_empty());
    assert_eq!(search(&app, &admin.access, "r_s").await, ["scoreone"]);
    assert_eq!(search(&app, &admin.access, "_").await, ["scoreone"]);

    let input = json!({ "username": "fullmarks", "firstName": "100%", "password": PASSWORD });
    data(&app.graphql(register, json!({ "input": input })).await);
    assert_eq!(search(&app, &admin.access, "%").await, ["fullmarks"]);
    assert_eq!(search(&app, &admin.access, "0%").await, ["fullmarks"]);
}

#[tokio::test]
async fn a_non_admin_search_stays_within_what_they_may_see() {
    // Arrange
    let app = spawn_app().await;
    app.register_user("quagmire").await;
    let user = app.signed_in_user("cleveland").await;

    // Act
    let found = search(&app, &user.access, "quagmire").await;

    // Assert
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn first_above_one_hundred_never_returns_more_than_one_hundred() {
    // Arrange: 101 users besides the admin.
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    for i in 0..101 {
        app.register_user(&format!("bulk{i:03}")).await;
    }

    // Act
    let body = users(&app, &admin.access, json!({ "first": 101 })).await;

    // Assert: either rejected as bad input or capped at 100.
    if error_code(&body).is_some() {
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    } else {
        let connection = &data(&body)["users"];
        assert_eq!(connection["totalCount"], 102);
        assert_eq!(connection["nodes"].as_array().unwrap().len(), 100);
        assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    }
    let hundred = users(&app, &admin.access, json!({ "first": 100 })).await;
    assert_eq!(
        data(&hundred)["users"]["nodes"].as_array().unwrap().len(),
        100
    );
}

#[tokio::test]
async fn the_default_page_holds_twenty_users() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    for i in 0..21 {
        app.register_user(&format!("bulk{i:02}")).await;
    }

    // Act
    let body = users(&app, &admin.access, Value::Null).await;

    // Assert
    let connection = &data(&body)["users"];
    assert_eq!(connection["totalCount"], 22);
    assert_eq!(connection["nodes"].as_array().unwrap().len(), 20);
    assert_eq!(connection["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn a_malformed_cursor_is_bad_input() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;

    // Act
    let body = users(
        &app,
        &admin.access,
        json!({ "first": 3, "after": "%%not-a-cursor%%" }),
    )
    .await;

    // Assert
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
}
