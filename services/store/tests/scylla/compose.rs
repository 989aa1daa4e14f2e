//! The deployment's compose file is valid, as `docker-compose config` (which needs no container
//! engine) sees it, and has the cluster it promises.

use std::{path::PathBuf, process::Command};

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn docker_compose(args: &[&str]) -> std::process::Output {
    let root = repository_root();
    let file = root.join("scripts/deploy/compose.yaml");
    let file = file.to_str().expect("the repository path is UTF-8");
    match Command::new("docker-compose")
        .args(["-f", file])
        .args(args)
        .current_dir(&root)
        .output()
    {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "docker-compose is not installed; `apt-get install -y docker-compose` (Debian's \
             package needs no container engine) and run again"
        ),
        Err(error) => panic!("cannot run docker-compose: {error}"),
    }
}

#[test]
fn the_compose_file_is_valid() {
    let output = docker_compose(&["config", "-q"]);
    assert!(
        output.status.success(),
        "docker-compose config -q failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_compose_file_runs_three_scylla_nodes_two_brokers_and_the_services() {
    let output = docker_compose(&["config", "--services"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let services = String::from_utf8(output.stdout).unwrap();
    let mut services: Vec<&str> = services.lines().collect();
    services.sort_unstable();
    assert_eq!(
        services,
        [
            "appointments-1",
            "appointments-2",
            "auth-1",
            "auth-2",
            "gateway",
            "migrate",
            "mosquitto-1",
            "mosquitto-2",
            "scylla-1",
            "scylla-2",
            "scylla-3",
        ]
    );
    // The migration and every service with a store (two auth, two appointments) use one URI.
    let resolved = docker_compose(&["config"]);
    let resolved = String::from_utf8(resolved.stdout).unwrap();
    let uri = "scylla://scylla-1:9042,scylla-2:9042,scylla-3:9042/dentismile?dc=datacenter1&rf=3";
    assert_eq!(resolved.matches(uri).count(), 5, "{resolved}");
    assert!(resolved.contains("--developer-mode"));
    assert!(resolved.contains("mosquitto/mosquitto.conf"));
    assert!(resolved.contains("mosquitto/acl"));
}
