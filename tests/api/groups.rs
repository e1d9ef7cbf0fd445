//! Groups: listing, admin group operations, membership, and the DataLoaders
//! that keep nested reads to a fixed number of SQL statements.

use serde_json::{json, Value};

use crate::helpers::{
    assert_bad_input, data, error_code, ids, spawn_app, spawn_app_with, TestApp, PASSWORD,
};

const GROUP: &str = "query Group($id: ID!) {
  group(id: $id) { id name openForRegistration members { id username } }
}";

const UPDATE_GROUP: &str = "mutation Update($id: ID!, $input: UpdateGroupInput!) {
  updateGroup(id: $id, input: $input) { id name openForRegistration }
}";

const DELETE_GROUP: &str = "mutation Delete($id: ID!) { deleteGroup(id: $id) }";

const REMOVE_MEMBER: &str = "mutation Remove($g: ID!, $u: ID!) {
  removeGroupMember(groupId: $g, userId: $u) { id members { id } }
}";

async fn group(app: &TestApp, token: &str, id: &str) -> Value {
    app.graphql_with_token(token, GROUP, json!({ "id": id }))
        .await
}

async fn user_group_ids(app: &TestApp, admin_token: &str, user_id: &str) -> Vec<String> {
    let body = app
        .graphql_with_token(
            admin_token,
            "query User($id: ID!) { user(id: $id) { groups { id } } }",
            json!({ "id": user_id }),
        )
        .await;
    ids(&data(&body)["user"]["groups"])
}

#[tokio::test]
async fn anonymous_callers_cannot_create_groups() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app
        .graphql(
            "mutation { createGroup(input: { name: \"intruders\" }) { id } }",
            Value::Null,
        )
        .await;

    // Assert
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn non_admins_are_forbidden_to_create_groups() {
    // Arrange
    let app = spawn_app().await;
    let user = app.signed_in_user("meg").await;

    // Act
    let body = app
        .graphql_with_token(
            &user.access,
            "mutation { createGroup(input: { name: \"cool kids\" }) { id } }",
            Value::Null,
        )
        .await;

    // Assert
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let admin = app.create_admin().await;
    let groups = app
        .graphql_with_token(&admin.access, "{ groups { id } }", Value::Null)
        .await;
    assert_eq!(data(&groups)["groups"], json!([]));
}

#[tokio::test]
async fn non_admins_are_forbidden_to_change_groups_and_membership() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let group_id = app.create_group(&admin.access, "staff", false).await;
    let user = app.signed_in_user("meg").await;

    // Act
    let rename = app
        .graphql_with_token(
            &user.access,
            UPDATE_GROUP,
            json!({ "id": group_id, "input": { "name": "mine" } }),
        )
        .await;
    let open = app
        .graphql_with_token(
            &user.access,
            UPDATE_GROUP,
            json!({ "id": group_id, "input": { "openForRegistration": true } }),
        )
        .await;
    let join = app
        .add_group_member(&user.access, &group_id, &user.id)
        .await;
    let delete = app
        .graphql_with_token(&user.access, DELETE_GROUP, json!({ "id": group_id }))
        .await;

    // Assert
    for body in [&rename, &open, &join, &delete] {
        assert_eq!(error_code(body), Some("FORBIDDEN"), "{body}");
    }
    let unchanged = group(&app, &admin.access, &group_id).await;
    let unchanged = &data(&unchanged)["group"];
    assert_eq!(unchanged["name"], "staff");
    assert_eq!(unchanged["openForRegistration"], false);
    assert_eq!(unchanged["members"], json!([]));
}

#[tokio::test]
async fn any_signed_in_user_can_list_groups() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let red = app.create_group(&admin.access, "red", false).await;
    let blue = app.create_group(&admin.access, "blue", true).await;
    let user = app.signed_in_user("meg").await;

    // Act
    let body = app
        .graphql_with_token(&user.access, "{ groups { id name } }", Value::Null)
        .await;

    // Assert
    let mut listed = ids(&data(&body)["groups"]);
    listed.sort();
    let mut expected = vec![red, blue];
    expected.sort();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn anonymous_callers_cannot_list_groups() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    app.create_group(&admin.access, "red", true).await;

    // Act
    let body = app.graphql("{ groups { id name } }", Value::Null).await;

    // Assert
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn an_admin_can_create_rename_open_and_delete_a_group() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;

    // Act: create
    let created = app
        .graphql_with_token(
            &admin.access,
            "mutation Create($input: CreateGroupInput!) {
               createGroup(input: $input) { id name openForRegistration members { id } }
             }",
            json!({ "input": { "name": "editors" } }),
        )
        .await;
    let created = &data(&created)["createGroup"];
    let id = created["id"].as_str().unwrap().to_owned();

    // Assert: closed by default, no members
    assert_eq!(created["name"], "editors");
    assert_eq!(created["openForRegistration"], false);
    assert_eq!(created["members"], json!([]));

    // Act: rename and open
    let updated = app
        .graphql_with_token(
            &admin.access,
            UPDATE_GROUP,
            json!({ "id": id, "input": { "name": "writers", "openForRegistration": true } }),
        )
        .await;

    // Assert
    let updated = &data(&updated)["updateGroup"];
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["name"], "writers");
    assert_eq!(updated["openForRegistration"], true);
    let read = group(&app, &admin.access, &id).await;
    assert_eq!(data(&read)["group"]["name"], "writers");

    // Act: delete
    let deleted = app
        .graphql_with_token(&admin.access, DELETE_GROUP, json!({ "id": id }))
        .await;

    // Assert
    assert_eq!(data(&deleted)["deleteGroup"], true);
    let read = group(&app, &admin.access, &id).await;
    assert_eq!(data(&read)["group"], Value::Null);
    let listed = app
        .graphql_with_token(&admin.access, "{ groups { id } }", Value::Null)
        .await;
    assert_eq!(data(&listed)["groups"], json!([]));
}

#[tokio::test]
async fn a_duplicate_group_name_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let first = app.create_group(&admin.access, "editors", false).await;
    let second = app.create_group(&admin.access, "writers", false).await;

    // Act
    let create = app
        .graphql_with_token(
            &admin.access,
            "mutation { createGroup(input: { name: \"editors\" }) { id } }",
            Value::Null,
        )
        .await;
    let rename = app
        .graphql_with_token(
            &admin.access,
            UPDATE_GROUP,
            json!({ "id": second, "input": { "name": "editors" } }),
        )
        .await;

    // Assert
    assert_bad_input(&create, "name");
    assert_bad_input(&rename, "name");
    let still = group(&app, &admin.access, &first).await;
    assert_eq!(data(&still)["group"]["name"], "editors");
    let other = group(&app, &admin.access, &second).await;
    assert_eq!(data(&other)["group"]["name"], "writers");
}

#[tokio::test]
async fn changing_an_unknown_group_is_not_found() {
    // Arrange: the id of a deleted group.
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let id = app.create_group(&admin.access, "gone", false).await;
    let deleted = app
        .graphql_with_token(&admin.access, DELETE_GROUP, json!({ "id": id }))
        .await;
    assert_eq!(data(&deleted)["deleteGroup"], true);

    // Act
    let update = app
        .graphql_with_token(
            &admin.access,
            UPDATE_GROUP,
            json!({ "id": id, "input": { "name": "back" } }),
        )
        .await;
    let add = app.add_group_member(&admin.access, &id, &admin.id).await;
    let delete = app
        .graphql_with_token(&admin.access, DELETE_GROUP, json!({ "id": id }))
        .await;

    // Assert
    for body in [&update, &add, &delete] {
        assert_eq!(error_code(body), Some("NOT_FOUND"), "{body}");
    }
}

#[tokio::test]
async fn membership_changes_show_in_user_groups_and_group_members() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let editors = app.create_group(&admin.access, "editors", false).await;
    let writers = app.create_group(&admin.access, "writers", false).await;
    let meg = app.register_user("meg").await;
    let chris = app.register_user("chris").await;

    // Act: add
    for (group_id, user_id) in [(&editors, &meg), (&editors, &chris), (&writers, &meg)] {
        let body = app.add_group_member(&admin.access, group_id, user_id).await;
        assert!(ids(&data(&body)["addGroupMember"]["members"]).contains(user_id));
    }

    // Assert
    let mut members = ids(&data(&group(&app, &admin.access, &editors).await)["group"]["members"]);
    members.sort();
    let mut expected = vec![meg.clone(), chris.clone()];
    expected.sort();
    assert_eq!(members, expected);
    let mut megs = user_group_ids(&app, &admin.access, &meg).await;
    megs.sort();
    let mut expected = vec![editors.clone(), writers.clone()];
    expected.sort();
    assert_eq!(megs, expected);
    assert_eq!(
        user_group_ids(&app, &admin.access, &chris).await,
        [editors.as_str()]
    );

    // Act: remove
    let removed = app
        .graphql_with_token(
            &admin.access,
            REMOVE_MEMBER,
            json!({ "g": editors, "u": meg }),
        )
        .await;

    // Assert
    assert_eq!(
        ids(&data(&removed)["removeGroupMember"]["members"]),
        [chris.as_str()]
    );
    assert_eq!(
        user_group_ids(&app, &admin.access, &meg).await,
        [writers.as_str()]
    );
    let members = ids(&data(&group(&app, &admin.access, &editors).await)["group"]["members"]);
    assert_eq!(members, [chris.as_str()]);
    // The member sees their own groups too.
    let (token, _) = app.login("meg", PASSWORD).await;
    let me = app
        .graphql_with_token(&token, "{ me { groups { id name } } }", Value::Null)
        .await;
    assert_eq!(ids(&data(&me)["me"]["groups"]), [writers]);
}

#[tokio::test]
async fn adding_a_member_twice_keeps_one_membership() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let editors = app.create_group(&admin.access, "editors", false).await;
    let meg = app.register_user("meg").await;
    data(&app.add_group_member(&admin.access, &editors, &meg).await);

    // Act
    let again = app.add_group_member(&admin.access, &editors, &meg).await;

    // Assert: idempotent, or refused as bad input; never a duplicate row.
    if error_code(&again).is_some() {
        assert_eq!(error_code(&again), Some("BAD_USER_INPUT"), "{again}");
    }
    let members = ids(&data(&group(&app, &admin.access, &editors).await)["group"]["members"]);
    assert_eq!(members, [meg.as_str()]);
    assert_eq!(user_group_ids(&app, &admin.access, &meg).await, [editors]);
}

#[tokio::test]
async fn deleting_a_group_removes_it_from_its_members() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.create_admin().await;
    let editors = app.create_group(&admin.access, "editors", false).await;
    let meg = app.register_user("meg").await;
    data(&app.add_group_member(&admin.access, &editors, &meg).await);

    // Act
    let deleted = app
        .graphql_with_token(&admin.access, DELETE_GROUP, json!({ "id": editors }))
        .await;

    // Assert
    assert_eq!(data(&deleted)["deleteGroup"], true);
    assert!(user_group_ids(&app, &admin.access, &meg).await.is_empty());
}

#[tokio::test]
async fn nested_groups_and_members_take_a_fixed_number_of_statements() {
    // Arrange: 50 users spread over 3 groups, most in two of them.
    let app = spawn_app_with(|s| s.dataloader_delay_ms = 25).await;
    let admin = app.create_admin().await;
    let mut group_ids = Vec::new();
    for name in ["red", "green", "blue"] {
        group_ids.push(app.create_group(&admin.access, name, true).await);
    }
    let register = "mutation R($input: RegisterInput!) { register(input: $input) { id } }";
    for i in 0..50 {
        let mut groups = vec![group_ids[i % 3].clone()];
        if i % 2 == 0 {
            groups.push(group_ids[(i + 1) % 3].clone());
        }
        let input = json!({ "username": format!("member{i:02}"), "password": PASSWORD,
                            "groupIds": groups });
        data(&app.graphql(register, json!({ "input": input })).await);
    }
    let query = "query Users($first: Int!) {
      users(first: $first) { nodes { id groups { id members { id } } } }
    }";
    let run = |first: usize| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            let body = app
                .graphql_with_token(&token, query, json!({ "first": first }))
                .await;
            let nodes = data(&body)["users"]["nodes"].as_array().unwrap().clone();
            assert_eq!(nodes.len(), first, "{body}");
            assert!(
                nodes
                    .iter()
                    .any(|n| !n["groups"].as_array().unwrap().is_empty()),
                "some of the first {first} users are in groups: {body}"
            );
        }
    };
    // (A 25 ms batching window: on a loaded CI machine a debug build can take longer than
    // the default 2 ms to register 50 keys, which would split a batch by timing alone.)
    // Warm up whatever runs once per process or per session.
    run(5).await;

    // Act
    let before = app.metric("authgraph_db_statements_total").await;
    run(5).await;
    let middle = app.metric("authgraph_db_statements_total").await;
    run(50).await;
    let after = app.metric("authgraph_db_statements_total").await;

    // Assert
    let for_five = middle - before;
    let for_fifty = after - middle;
    assert_eq!(
        for_five, for_fifty,
        "statements must not grow with the page size (5 users: {for_five}, 50 users: {for_fifty})"
    );
    assert!(for_fifty <= 6, "{for_fifty} statements for one nested read");
}
