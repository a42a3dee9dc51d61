//! The million-event benchmark log shared by `benches/queries.rs` and `benches/replay.rs`:
//! a long, world-ordered negotiation whose state stays bounded, with a snapshot every
//! 100,000 lines, written once under `target/bench-data/` and reused.
#![allow(dead_code)] // each benchmark uses its own share

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use accord::format::event::{
    AgreementSigned, Category, DetentionReported, Event, EventData, IssueRaised, PartyJoined,
    ProposalAct, ProposalMade, ProvisionStatus, ProvisionTerms, ProvisionUpdated, ReleaseMade,
    Role, StatementKind, StatementMade, Term,
};
use accord::format::ids::{EventId, Hash, Slug};
use accord::format::time::Timestamp;
use accord::stores::file::FileStore;
use chrono::{Duration, TimeZone, Utc};

pub const EVENTS: u64 = 1_000_000;
pub const SNAPSHOT_EVERY: u64 = 100_000;
const PARTIES: u64 = 100;
const ISSUES: u64 = 50;

fn slug(text: String) -> Slug {
    Slug::parse(&text).unwrap()
}

/// The data of event `seq` (from 1) of a long, world-ordered negotiation whose state stays
/// bounded: positions replace each other, custody goes up and down, proposals come and go.
fn event_data(seq: u64) -> EventData {
    let party = |n: u64| slug(format!("P{}", n % PARTIES));
    let setup = PARTIES + ISSUES + 1;
    if seq <= PARTIES {
        return EventData::PartyJoined(PartyJoined {
            party: party(seq - 1),
            name: format!("Party {}", seq - 1),
            role: Role::Party,
            members: None,
        });
    }
    if seq <= PARTIES + ISSUES {
        let n = seq - PARTIES - 1;
        return EventData::IssueRaised(IssueRaised {
            issue: slug(format!("I{n}")),
            title: format!("Issue {n}"),
        });
    }
    if seq == setup {
        return EventData::AgreementSigned(AgreementSigned {
            agreement: slug("framework".into()),
            title: "Framework".into(),
            signatories: vec![party(0), party(1)],
            witnesses: None,
            proposal: None,
            provisions: (0..10)
                .map(|n| ProvisionTerms {
                    provision: slug(format!("p{n}")),
                    text: format!("Provision {n}"),
                    obligated: vec![party(0)],
                })
                .collect(),
        });
    }
    let n = seq - setup;
    match n % 20 {
        0..=7 => EventData::StatementMade(StatementMade {
            by: party(n),
            speaker: Some("A spokesperson".into()),
            kind: StatementKind::Position,
            text: format!("Position number {n} on the question, in a sentence of ordinary length."),
            to: None,
            issue: Some(slug(format!("I{}", n % ISSUES))),
            agreement: None,
            provision: None,
            against: None,
        }),
        8 | 9 => EventData::StatementMade(StatementMade {
            by: party(n),
            speaker: None,
            kind: StatementKind::Claim,
            text: format!("Claim {n}."),
            to: Some(vec![party(n + 1)]),
            issue: None,
            agreement: None,
            provision: None,
            against: None,
        }),
        10..=13 => EventData::DetentionReported(DetentionReported {
            holder: party(n),
            of: party(n + 1),
            category: Category::Combatant,
            count: accord::format::count::Count::Exact(2),
        }),
        14..=16 => EventData::ReleaseMade(ReleaseMade {
            by: party(n - 4),
            of: party(n - 3),
            category: Category::Combatant,
            count: accord::format::count::Count::Exact(1),
            agreement: None,
            provision: None,
        }),
        17 => EventData::ProvisionUpdated(ProvisionUpdated {
            agreement: slug("framework".into()),
            provision: slug(format!("p{}", n % 10)),
            status: ProvisionStatus::InProgress,
            note: None,
        }),
        18 => EventData::ProposalMade(ProposalMade {
            proposal: slug(format!("X{}", n / 20)),
            by: party(n),
            to: vec![party(n + 1)].into(),
            terms: vec![Term {
                issue: slug(format!("I{}", n % ISSUES)),
                text: "Terms.".into(),
            }]
            .into(),
            supersedes: None,
            counters: None,
        }),
        _ => EventData::ProposalWithdrawn(ProposalAct {
            proposal: slug(format!("X{}", (n - 1) / 20)),
            by: party(n - 1),
        }),
    }
}

pub fn occurred(seq: u64) -> Timestamp {
    Timestamp::from_instant(
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(seq as i64),
    )
}

fn build(path: &PathBuf) -> f64 {
    write_log(path, EVENTS, None, Some(SNAPSHOT_EVERY))
}

/// Writes a log of `events` lines of the same negotiation; with `late_every`, each such
/// line, when it is a statement, occurred 500 minutes before its place (a backfill: 1% of
/// the lines for 100); with `snapshot_every`, a snapshot each so many lines.
/// Returns how long it took.
pub fn write_log(
    path: &PathBuf,
    events: u64,
    late_every: Option<u64>,
    snapshot_every: Option<u64>,
) -> f64 {
    let started = Instant::now();
    let _ = fs::remove_file(path);
    let mut snapshots = path.as_os_str().to_owned();
    snapshots.push(".snapshots");
    let _ = fs::remove_dir_all(PathBuf::from(&snapshots));
    let store = FileStore::new(path);
    let recorded = Timestamp::recorded_now(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut prev = Hash::ZERO;
    let mut writer = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    for seq in 1..=events {
        // Only statements come late, so that custody and proposals still fold.
        let setup = PARTIES + ISSUES + 1;
        let late = late_every
            .is_some_and(|every| seq > 1_000 && seq % every == 0 && (seq - setup) % 20 <= 9);
        let occurred = if late {
            occurred(seq - 500)
        } else {
            occurred(seq)
        };
        let data = event_data(seq);
        // Version 1, as it was written before version 2: the benchmark log keeps its bytes
        // (and its head) across versions of accord.
        let event = Event {
            version: accord::format::event::Version::One,
            seq,
            id: EventId::from_u128(u128::from(seq)),
            occurred: accord::format::world_time::WorldTime::of_point(occurred),
            recorded: recorded.clone(),
            data,
            source: None,
            sources: None,
            origin: None,
            prev,
        };
        let line = event.to_line();
        prev = Hash::of(line.as_bytes());
        writer.write_all(line.as_bytes()).unwrap();
        writer.write_all(b"\n").unwrap();
        if snapshot_every.is_some_and(|every| seq % every == 0) {
            writer.flush().unwrap();
            accord::stores::file::queries::snapshot(&store)
                .unwrap()
                .unwrap();
        }
    }
    writer.flush().unwrap();
    started.elapsed().as_secs_f64()
}

/// The whole log at `path` replayed as `accord verify` replays it, without the snapshots'
/// checks; the file is closed before this returns.
pub fn replay_file(path: &std::path::Path) -> accord::replay::Replay {
    let store = FileStore::new(path);
    let file = store.open_shared().unwrap();
    accord::replay::replay_whole(
        &accord::replay::FileSource(&file),
        &Default::default(),
        &mut |_| {},
    )
    .unwrap()
}

/// The benchmark log, written first if it is not there yet; with how long writing took.
pub fn log() -> (PathBuf, Option<f64>) {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    fs::create_dir_all(&directory).unwrap();
    let path = directory.join("million-v1.jsonl");
    let built = if path.exists() {
        None
    } else {
        Some(build(&path))
    };
    (path, built)
}
