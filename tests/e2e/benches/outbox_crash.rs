//! `kill -9` of `inkan outbox run` at random points, `INKAN_CRASH_TRIALS`
//! trials (default 100): afterwards every document is on the FHIR server
//! exactly once, every item is `sent` with a receipt, and the outbox
//! database passes `PRAGMA integrity_check`. Run by scripts/outbox-crash.sh;
//! the figures are in docs/submission.md.
//!
//! Each trial queues `INKAN_CRASH_DOCS` (default 5) new signed letters in
//! a fresh data folder, starts `inkan outbox run`, kills it with SIGKILL
//! after a random delay spread over a whole run's length (measured first),
//! then lets a second `inkan outbox run` finish and checks the server.

use inkan_e2e::fhir::FhirServer;
use inkan_e2e::sending::{identifier_of, s, SendEnv};
use inkan_e2e::workspace_bin;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// xorshift64*: reproducible kill points from `INKAN_CRASH_SEED`.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn main() {
    // `cargo bench` passes --bench; any other argument filters nothing here.
    let trials = env_usize("INKAN_CRASH_TRIALS", 100);
    let docs = env_usize("INKAN_CRASH_DOCS", 5);
    let seed = env_usize("INKAN_CRASH_SEED", 20_261_126) as u64;
    let mut rng = Rng(seed.max(1));
    let env = SendEnv::new("outbox-crash");
    let server = FhirServer::start(&env.dir.join("fhir"));
    let to = format!("fhir:{}", server.base());
    let inkan = workspace_bin("inkan");

    let prepare = |trial: usize| -> (PathBuf, Vec<PathBuf>) {
        let data = env.dir.join(format!("trial-{trial:03}"));
        let letters: Vec<PathBuf> = (0..docs)
            .map(|k| {
                env.signed_letter(
                    &format!("t{trial:03}-{k}.json"),
                    &format!("CRASH-{trial:03}-{k}"),
                    "hs038",
                )
            })
            .collect();
        let mut args = vec!["send".to_owned()];
        args.extend(letters.iter().map(|l| s(l)));
        args.extend([
            "--to".into(),
            to.clone(),
            "--trust".into(),
            env.trust(),
            "--no-deliver".into(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = env.inkan_with(&data, &args);
        assert_eq!(code, 1, "queued: {out}{err}");
        (data, letters)
    };
    let run = |data: &PathBuf| {
        let mut c = Command::new(&inkan);
        c.args(["outbox", "run"])
            .env("INKAN_DATA_DIR", data)
            .env("INKAN_CONFIG_DIR", &env.config)
            .env("INKAN_AUDIT_KEY_STORE", "file")
            .env("INKAN_OUTBOX_RETRY_BASE_MS", "200")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    // How long an undisturbed run of `docs` documents takes (the window
    // the kills are spread over).
    let (data, _) = prepare(trials);
    let t0 = Instant::now();
    assert!(run(&data).status().expect("run").success());
    let full = t0.elapsed();
    println!(
        "an undisturbed run of {docs} documents: {} ms",
        full.as_millis()
    );

    let mut sent_at_kill = vec![0usize; docs + 1];
    let mut sending_at_kill = 0usize;
    let mut exited_before_kill = 0usize;
    let mut recovery_attempts = 0i64;
    let started = Instant::now();
    for trial in 0..trials {
        let (data, letters) = prepare(trial);
        // Up to 120 % of a full run, from the process's start.
        let delay = Duration::from_micros(rng.next() % (full.as_micros() as u64 * 6 / 5).max(1));
        let mut child = run(&data).spawn().expect("spawn");
        std::thread::sleep(delay);
        if child.try_wait().expect("try_wait").is_some() {
            exited_before_kill += 1;
        }
        // SIGKILL: no destructor, no rollback, the lock released by the kernel.
        let _ = Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
        // What the kill left.
        let ob = inkan_outbox::Outbox::open(&data.join(inkan_outbox::store::DB_FILE))
            .expect("outbox after kill");
        let items = ob.list().expect("list");
        let sent = items
            .iter()
            .filter(|i| i.state == inkan_outbox::State::Sent)
            .count();
        sent_at_kill[sent] += 1;
        sending_at_kill += items
            .iter()
            .filter(|i| i.state == inkan_outbox::State::Sending)
            .count();
        drop(ob);
        // Recovery.
        let (code, out, err) = env.inkan_with(&data, &["outbox", "run", "--wait", "60"]);
        assert_eq!(code, 0, "trial {trial}: recovery run: {out}{err}");
        let ob =
            inkan_outbox::Outbox::open(&data.join(inkan_outbox::store::DB_FILE)).expect("outbox");
        assert_eq!(
            ob.integrity_check().expect("integrity_check"),
            "ok",
            "trial {trial}"
        );
        let items = ob.list().expect("list");
        assert_eq!(items.len(), docs, "trial {trial}");
        for it in &items {
            assert_eq!(it.state, inkan_outbox::State::Sent, "trial {trial}: {it:?}");
            let r = it.receipt.as_ref().expect("receipt");
            assert!(
                r.resource
                    .as_deref()
                    .is_some_and(|x| x.starts_with("Bundle/")),
                "trial {trial}: {r:?}"
            );
            recovery_attempts += it.attempts;
        }
        for l in &letters {
            let n = server.search("Bundle", &identifier_of(l)).len();
            assert_eq!(
                n,
                1,
                "trial {trial}: {} is on the server {n} times",
                l.display()
            );
        }
        if (trial + 1) % 10 == 0 {
            println!("{} trials: exactly once so far", trial + 1);
        }
    }
    let total = server.all("Bundle").len();
    assert_eq!(
        total,
        (trials + 1) * docs,
        "every document of every trial, once"
    );
    println!("kill -9 trials: {trials}, documents per trial: {docs}, seed {seed}");
    println!(
        "  documents on the server: {total} (expected {}), duplicates: 0",
        (trials + 1) * docs
    );
    println!("  items already sent when killed (0..={docs}): {sent_at_kill:?}");
    println!("  items caught in 'sending' by the kill: {sending_at_kill}");
    println!("  runs that had finished before the kill: {exited_before_kill}");
    println!(
        "  delivery attempts, all trials: {recovery_attempts} for {} items",
        trials * docs
    );
    println!("  PRAGMA integrity_check: ok after every trial");
    println!("  time: {} s", started.elapsed().as_secs());
}
