//! The `slots.csv` import against a running system, through exactly the functions the `i` key
//! runs: a 500-row file with three bad rows is refused with exactly those rows and stores
//! nothing; the corrected file is published whole; importing it again changes nothing.

use std::time::Instant;

use dentismile_client::Client;
use dentismile_domain::{jiff::Timestamp, time::LocalDay};
use dentismile_tui_dentist::{
    import::ImportScope,
    runtime::{check_import, publish_import},
};

use crate::{
    slots_file::{self, CLINIC, DENTIST},
    system::System,
};

/// Every slot of the dentist over the days of the file.
async fn stored_slots(client: &Client, first: LocalDay, last: LocalDay) -> usize {
    let mut count = 0;
    let mut from = first;
    while from <= last {
        let to = from.plus_days(30).min(last);
        count += client
            .slots(
                CLINIC,
                &from.to_string(),
                &to.to_string(),
                Some(DENTIST),
                false,
            )
            .await
            .expect("slots are listed")
            .len();
        from = to.next();
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_bad_rows_changes_nothing_and_the_corrected_one_is_taken_whole() {
    let started = Instant::now();
    let system = System::start();
    let client = Client::new(&system.gateway).unwrap();
    client
        .login(
            "dr-lindqvist@majorna-tandvard.dentismile.test",
            "dentist-demo-2026",
        )
        .await
        .unwrap();
    let clinic = client
        .clinics()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == CLINIC)
        .expect("the demo clinic");
    let scope = ImportScope {
        clinic,
        only_dentist: Some(DENTIST.to_string()),
    };
    let (good, bad) = slots_file::good_and_bad();
    let first = slots_file::first_day();
    let last = first.plus_days(70);
    assert_eq!(stored_slots(&client, first, last).await, 0);

    let errors = check_import(&client, &bad, &scope, Timestamp::now())
        .await
        .expect("the schedule is read")
        .expect_err("three bad rows");
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [10, 200, 377], "{errors:#?}");
    assert!(errors[0].reason.starts_with("status:"), "{}", errors[0]);
    assert!(
        errors[1].reason.contains("closed on Sunday"),
        "{}",
        errors[1]
    );
    assert!(errors[2].reason.contains("line 376"), "{}", errors[2]);
    assert_eq!(
        stored_slots(&client, first, last).await,
        0,
        "a refused file stores nothing"
    );

    let plan = check_import(&client, &good, &scope, Timestamp::now())
        .await
        .expect("the schedule is read")
        .expect("every row is good");
    assert_eq!((plan.rows, plan.new_slots(), plan.unchanged), (500, 500, 0));
    let (published, unchanged) = publish_import(&client, &plan)
        .await
        .expect("the import is published");
    assert_eq!((published, unchanged), (500, 0));
    assert_eq!(stored_slots(&client, first, last).await, 500);

    let again = check_import(&client, &good, &scope, Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.new_slots(), again.unchanged),
        (0, 500),
        "importing the same file again changes nothing"
    );
    eprintln!("import test took {:?}", started.elapsed());
}
