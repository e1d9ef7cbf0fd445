//! Profile pictures through GraphQL: the multipart request spec on `updateMe`, and the
//! body limits of `POST /graphql`.

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

/// A valid 1x1 RGB PNG.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

const UPDATE_PICTURE: &str =
    "mutation($file: Upload) { updateMe(input: { profilePic: $file }) { id profilePic } }";

/// Sends a GraphQL multipart request (operations, map, one file part).
async fn upload(app: &TestApp, token: &str, bytes: &[u8], file_name: &str) -> (u16, Value) {
    let boundary = "authgraph-test-boundary-7d1f";
    let operations = json!({ "query": UPDATE_PICTURE, "variables": { "file": null } });
    let mut body = Vec::new();
    for (name, value) in [
        ("operations", operations.to_string()),
        ("map", json!({ "0": ["variables.file"] }).to_string()),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .api_client
        .post(format!("{}/graphql", app.address))
        .header("Authorization", format!("Bearer {token}"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_picture_uploaded_through_graphql_is_served_and_can_be_deleted() {
    let app = spawn_app().await;
    let user = app.signed_in_user("picasso").await;

    let (status, body) = upload(&app, &user.access, PNG_1X1, "me.png").await;

    assert_eq!(status, 200, "{body}");
    let url = body["data"]["updateMe"]["profilePic"]
        .as_str()
        .unwrap_or_else(|| panic!("no picture URL: {body}"))
        .to_owned();
    assert!(
        url.starts_with("/api/user/media/") && url.ends_with(".png"),
        "{url}"
    );
    let served = app.get(&url).await;
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG_1X1);

    let cleared = app
        .graphql_with_token(
            &user.access,
            "mutation { updateMe(input: { profilePic: null }) { profilePic } }",
            json!({}),
        )
        .await;
    assert_eq!(
        cleared["data"]["updateMe"]["profilePic"],
        Value::Null,
        "{cleared}"
    );
    assert_eq!(app.get(&url).await.status().as_u16(), 404);
}

#[tokio::test]
async fn a_file_that_is_not_an_image_is_refused_as_bad_input() {
    let app = spawn_app().await;
    let user = app.signed_in_user("forger").await;

    let (_, body) = upload(&app, &user.access, b"<svg onload=alert(1)>", "x.png").await;

    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(
        body["errors"][0]["extensions"]["fields"]["profilePic"].is_array(),
        "{body}"
    );
}

#[tokio::test]
async fn a_json_body_over_one_mebibyte_is_refused_with_413() {
    let app = spawn_app().await;
    let padding = "x".repeat(1024 * 1024 + 1);

    let response = app
        .api_client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ __typename }", "variables": { "pad": padding } }))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status().as_u16(), 413);
}
