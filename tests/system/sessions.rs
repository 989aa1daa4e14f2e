//! Tokens and sessions through the gateway: expired, forged and signed-out tokens are
//! refused; refresh tokens rotate and a replayed one ends the session; guessing is rate-limited.

use std::time::Duration;

use dentismile::config::signing_key_path;
use dentismile_auth::{AccessClaims, TokenSigner};
use dentismile_domain::{
    accounts::{Role, SessionId},
    ids::UserId,
    jiff::{SignedDuration, Timestamp},
    text::DisplayName,
};
use dentismile_proto::v1::{self as pb};
use tonic::Code;

use crate::helpers::{Options, TestSystem, authed, eventually_async, spawn_system};

async fn who_am_i(system: &TestSystem, token: &str) -> Result<pb::Account, tonic::Status> {
    system
        .auth()
        .await
        .who_am_i(authed(pb::WhoAmIRequest {}, token))
        .await
        .map(tonic::Response::into_inner)
}

fn claims(expires_at: Timestamp) -> AccessClaims {
    AccessClaims {
        user_id: UserId::random(),
        session_id: SessionId::random(),
        role: Role::Admin,
        clinic_id: None,
        dentist_id: None,
        name: DisplayName::parse("Mallory").unwrap(),
        issued_at: expires_at - SignedDuration::from_mins(15),
        expires_at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_forged_and_signed_out_tokens_are_unauthenticated() {
    let system = spawn_system(Options {
        demo: false,
        ..Options::default()
    })
    .await;
    let session = system.register("Tess Token").await;
    let account = who_am_i(&system, &session.access_token).await.unwrap();
    assert_eq!(account.display_name, "Tess Token");

    // Expired: signed with the real key, but an hour ago.
    let real_key = TokenSigner::load_or_create(&signing_key_path(&system.data_dir)).unwrap();
    let expired = real_key.sign(&claims(Timestamp::now() - SignedDuration::from_hours(1)));
    let refused = who_am_i(&system, &expired).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(
        refused.message().contains("expired"),
        "{}",
        refused.message()
    );

    // Forged: a valid-looking admin token signed with another key.
    let forged = TokenSigner::generate()
        .unwrap()
        .sign(&claims(Timestamp::now() + SignedDuration::from_mins(10)));
    let refused = system
        .clinics()
        .await
        .upsert_clinic(authed(pb::UpsertClinicRequest::default(), &forged))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(
        who_am_i(&system, "not.a.token").await.unwrap_err().code(),
        Code::Unauthenticated
    );

    // Signed out: the access token dies with the session, at once.
    let logout = system
        .auth()
        .await
        .logout(authed(
            pb::LogoutRequest {
                refresh_token: session.refresh_token.clone(),
            },
            &session.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!logout.session_id.is_empty());
    let refused = who_am_i(&system, &session.access_token).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(refused.message().contains("ended"), "{}", refused.message());
    // And so does its refresh token.
    let refused = system
        .auth()
        .await
        .refresh(pb::RefreshRequest {
            refresh_token: session.refresh_token,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_a_replay_ends_the_session() {
    let system = spawn_system(Options {
        demo: false,
        ..Options::default()
    })
    .await;
    let first = system.register("Rita Rotate").await;
    let mut auth = system.auth().await;
    let second = auth
        .refresh(pb::RefreshRequest {
            refresh_token: first.refresh_token.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert!(who_am_i(&system, &second.access_token).await.is_ok());

    // The first token again: someone replayed it. The session ends for everyone.
    let replay = auth
        .refresh(pb::RefreshRequest {
            refresh_token: first.refresh_token,
        })
        .await
        .unwrap_err();
    assert_eq!(replay.code(), Code::Unauthenticated);
    let refused = auth
        .refresh(pb::RefreshRequest {
            refresh_token: second.refresh_token,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    // The gateway learns of the revocation from the auth service's feed; it is eventually
    // consistent, so wait for it, bounded.
    eventually_async(
        "the gateway to refuse the replayed session's access token",
        Duration::from_secs(10),
        || async {
            match who_am_i(&system, &second.access_token).await {
                Err(status) if status.code() == Code::Unauthenticated => true,
                Ok(_) => false,
                Err(other) => panic!("the replayed session's access token: {other:?}"),
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_is_rate_limited_and_says_nothing_about_accounts() {
    let system = spawn_system(Options {
        demo: false,
        production_limits: true,
        ..Options::default()
    })
    .await;
    let session = system.register("Gus Guessed").await;
    let email = session.account.unwrap().email;
    let mut auth = system.auth().await;
    let attempt = |email: &str, password: &str| pb::LoginRequest {
        email: email.into(),
        password: password.into(),
    };
    let wrong = auth
        .login(attempt(&email, "wrong password"))
        .await
        .unwrap_err();
    let unknown = auth
        .login(attempt("nobody@example.se", "wrong password"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    assert_eq!(
        wrong.message(),
        unknown.message(),
        "the reply must not reveal which emails exist"
    );
    // Ten attempts per account per 15 minutes: nine more wrong ones use them up, and then even
    // the right password has to wait.
    for _ in 0..9 {
        assert_eq!(
            auth.login(attempt(&email, "wrong password"))
                .await
                .unwrap_err()
                .code(),
            Code::Unauthenticated
        );
    }
    let limited = auth
        .login(attempt(&email, "long enough password"))
        .await
        .unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted, "{limited:?}");
    assert!(
        limited.message().contains("retry in"),
        "{}",
        limited.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_gets_twenty_sign_ups_an_hour_and_a_hundred_sign_ins_a_minute() {
    let system = spawn_system(Options {
        demo: false,
        production_limits: true,
        ..Options::default()
    })
    .await;
    let mut auth = system.auth().await;
    let sign_up = |n: usize| pb::RegisterRequest {
        email: format!("neighbour-{n}@example.se"),
        password: "long enough password".into(),
        display_name: format!("Neighbour {n}"),
    };
    for n in 0..20 {
        auth.register(sign_up(n)).await.unwrap();
    }
    // The 21st from the same address waits (one more every three minutes), and no account is
    // made for it.
    let limited = auth.register(sign_up(20)).await.unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted, "{limited:?}");
    assert!(
        limited
            .message()
            .contains("registrations from this address"),
        "{}",
        limited.message()
    );
    let never_made = auth
        .login(pb::LoginRequest {
            email: "neighbour-20@example.se".into(),
            password: "long enough password".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(never_made.code(), Code::Unauthenticated);

    // Sign-ins: a burst of 100 from one address, then one every 0.6 s. Spread over the 20
    // accounts (five each), so the per-account limit of ten never applies; every one uses the
    // right password. The one above already counted.
    let started = std::time::Instant::now();
    let mut accepted = 0;
    let limited = loop {
        let n = accepted % 20;
        match auth
            .login(pb::LoginRequest {
                email: format!("neighbour-{n}@example.se"),
                password: "long enough password".into(),
            })
            .await
        {
            Ok(_) => accepted += 1,
            Err(status) => break status,
        }
        assert!(
            accepted < 200,
            "200 sign-ins from one address were all accepted"
        );
    };
    assert_eq!(limited.code(), Code::ResourceExhausted, "{limited:?}");
    assert!(
        limited
            .message()
            .contains("sign-in attempts from this address"),
        "{}",
        limited.message()
    );
    let refills = (started.elapsed().as_secs_f64() / 0.6).ceil() as usize;
    assert!(
        (99..=99 + refills).contains(&accepted),
        "{accepted} sign-ins accepted before the limit, with {refills} refills"
    );
}
