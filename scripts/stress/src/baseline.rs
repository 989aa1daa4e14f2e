//! Baselines measured in the same run, on the same machine, with the same client harness:
//!
//! - the gRPC ceiling: a unary echo server (the `echo-serve` subcommand, its own process like
//!   the DentiSmile server) driven closed-loop with as many calls in flight, over as many
//!   connections, as the saturated booking phase uses. A booking can never be faster than a
//!   call that does nothing, so `bookings/s ÷ echoes/s` says how much of the RPC path's capacity
//!   a booking leaves;
//! - raw MQTT publish-to-receive through the very broker of the run, with the bridge's own
//!   settings (QoS 1, at most 20 in flight), so the booked events' delay can be read against
//!   what the broker alone costs.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use rumqttc::{Event, Packet, QoS};
use tokio::{io::AsyncBufReadExt, process::Command};
use tokio_stream::{StreamExt, wrappers::TcpListenerStream};
use tonic::transport::Server;

use crate::{
    grpc::Pool,
    labels,
    mqtt::{self, lock},
    stats::{Samples, now_micros},
    target::MqttTarget,
};

/// The generated echo service.
pub mod proto {
    #![allow(missing_docs, clippy::doc_lazy_continuation)]
    tonic::include_proto!("stress.echo.v1");
}

use proto::{
    EchoRequest, EchoResponse,
    echo_client::EchoClient,
    echo_server::{Echo, EchoServer},
};

/// Answers with the request's payload; nothing else.
#[derive(Debug, Default)]
pub struct EchoService;

#[tonic::async_trait]
impl Echo for EchoService {
    async fn unary_echo(
        &self,
        request: tonic::Request<EchoRequest>,
    ) -> Result<tonic::Response<EchoResponse>, tonic::Status> {
        Ok(tonic::Response::new(EchoResponse {
            payload: request.into_inner().payload,
        }))
    }
}

/// Serves the echo on 127.0.0.1 (port 0: a free one), printing `echo: http://ADDR` once it
/// listens, until the process is killed. Accepted connections get TCP_NODELAY, as DentiSmile's
/// servers do, so the two are served alike.
pub async fn serve_echo() -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("echo: http://{}", listener.local_addr()?);
    let incoming = TcpListenerStream::new(listener).map(|connection| {
        connection.and_then(|stream| {
            stream.set_nodelay(true)?;
            Ok(stream)
        })
    });
    Server::builder()
        .add_service(EchoServer::new(EchoService))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// A child process serving the echo; killed when dropped.
pub struct EchoServerProcess {
    child: tokio::process::Child,
    /// Its URL.
    pub url: String,
}

impl EchoServerProcess {
    /// Starts `exe echo-serve` and waits for its address.
    pub async fn start(exe: &std::path::Path) -> anyhow::Result<Self> {
        let mut child = Command::new(exe)
            .arg("echo-serve")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the echo server has no stdout"))?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .map_err(|_| anyhow::anyhow!("the echo server did not start within 10 s"))??
            .ok_or_else(|| anyhow::anyhow!("the echo server exited"))?;
        let url = line
            .strip_prefix("echo: ")
            .ok_or_else(|| anyhow::anyhow!("unexpected echo server line '{line}'"))?
            .to_string();
        Ok(Self { child, url })
    }

    /// Stops it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Runs `work(task, call)` closed-loop in `concurrency` tasks for `duration` (after a
/// `warm_up` whose calls are not kept), recording each call under `label`. `work` returns
/// `Ok(false)` when it has nothing left to do.
pub async fn closed_loop<F, Fut>(
    label: &'static str,
    concurrency: usize,
    warm_up: Duration,
    duration: Duration,
    work: F,
) -> Samples
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<bool, String>> + Send,
{
    let work = Arc::new(work);
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..concurrency.max(1) {
        let (work, stop, calls) = (work.clone(), stop.clone(), calls.clone());
        tasks.spawn(async move {
            let mut samples = Samples::default();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < warm_up + duration {
                let call = calls.fetch_add(1, Ordering::Relaxed);
                let begin = now_micros();
                let result = work(task, call).await;
                let elapsed = now_micros() - begin;
                let keep = started.elapsed() > warm_up;
                match result {
                    Ok(true) if keep => samples.ok(label, begin, elapsed),
                    Ok(true) => {}
                    Ok(false) => {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                    Err(why) if keep => samples.failed(label, begin, elapsed, &why),
                    Err(_) => {}
                }
            }
            samples
        });
    }
    let mut all = Samples::default();
    while let Some(Ok(samples)) = tasks.join_next().await {
        all.merge(samples);
    }
    all
}

/// The gRPC ceiling: echo calls with `concurrency` in flight over `connections` connections.
pub async fn grpc_echo(
    exe: &std::path::Path,
    concurrency: usize,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Samples> {
    let server = EchoServerProcess::start(exe).await?;
    let pool = Pool::connect(&server.url, connections).await?;
    // About the size of a BookSlotRequest with its slot and key.
    let payload = vec![7u8; 128];
    let samples = closed_loop(
        labels::ECHO,
        concurrency,
        Duration::from_millis(500),
        duration,
        move |task, _| {
            let (channel, payload) = (pool.channel(task), payload.clone());
            async move {
                EchoClient::new(channel)
                    .unary_echo(EchoRequest { payload })
                    .await
                    .map(|_| true)
                    .map_err(|status| format!("{:?}", status.code()))
            }
        },
    )
    .await;
    server.stop().await;
    Ok(samples)
}

/// Raw MQTT publish-to-receive: `count` QoS 1 messages of `size` bytes, one every `interval`,
/// from one client to another through `target` on a topic only the run uses. Publishing on
/// Mosquitto needs the bridge's credentials (its ACL lets nobody else publish), so both
/// clients use `target`'s.
pub async fn mqtt_publish_to_receive(
    target: &MqttTarget,
    run_id: &str,
    count: u64,
    interval: Duration,
) -> anyhow::Result<Samples> {
    let topic = format!("dentismile/v1/stress/baseline/{run_id}");
    let sent: Arc<Mutex<HashMap<u64, i64>>> = Arc::new(Mutex::new(HashMap::new()));
    let samples = Arc::new(Mutex::new(Samples::default()));

    let (subscriber, mut sub_loop) =
        mqtt::client(target, &format!("stress-{run_id}-base-sub"), true, 16);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let received = Arc::new(AtomicU64::new(0));
    let sub_task = {
        let (sent, samples, received, topic) = (
            sent.clone(),
            samples.clone(),
            received.clone(),
            topic.clone(),
        );
        tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            loop {
                match sub_loop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        if subscriber
                            .subscribe(topic.clone(), QoS::AtLeastOnce)
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        let now = now_micros();
                        let Some(seq) = publish
                            .payload
                            .get(..8)
                            .and_then(|b| b.try_into().ok())
                            .map(u64::from_be_bytes)
                        else {
                            continue;
                        };
                        if let Some(at) = lock(&sent).remove(&seq) {
                            lock(&samples).ok(labels::MQTT_BASELINE, at, now - at);
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => return,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        })
    };
    tokio::time::timeout(mqtt::CONNECT_TIMEOUT, ready_rx)
        .await
        .map_err(|_| anyhow::anyhow!("the baseline subscriber could not subscribe on {target}"))?
        .map_err(|_| anyhow::anyhow!("the baseline subscriber could not connect to {target}"))?;

    let (publisher, mut pub_loop) =
        mqtt::client(target, &format!("stress-{run_id}-base-pub"), true, 64);
    let pub_task = tokio::spawn(async move {
        loop {
            match pub_loop.poll().await {
                Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // About the size of a slot event.
    let mut payload = vec![b' '; 300];
    for seq in 0..count {
        ticker.tick().await;
        payload[..8].copy_from_slice(&seq.to_be_bytes());
        lock(&sent).insert(seq, now_micros());
        if publisher
            .publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
            .await
            .is_err()
        {
            break;
        }
    }
    // Whatever has not arrived within five seconds is lost.
    let deadline = Instant::now() + Duration::from_secs(5);
    while received.load(Ordering::Relaxed) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = publisher.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_secs(5), pub_task).await;
    // Dropping the subscriber's event loop closes its connection.
    sub_task.abort();
    let mut samples = std::mem::take(&mut *lock(&samples));
    for (_, at) in lock(&sent).drain() {
        samples.failed(
            labels::MQTT_BASELINE,
            at,
            now_micros() - at,
            "never received",
        );
    }
    Ok(samples)
}
