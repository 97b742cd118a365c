//! Tests of what the system observes about a request, on the state machine's test rows and helpers.

use serde_json::json;

use super::*;
use crate::requests::{machine::tests::*, state::State};

#[test]
fn system_events() {
    let cancel = |deleted| SystemEvent::Cancel {
        reason: "gone".into(),
        issue_deleted: deleted,
    };
    for state in State::ALL {
        let r = row(state);
        let label_removed = observe(&r, &cancel(false)).unwrap();
        assert_eq!(
            label_removed.is_some(),
            state.is_open(),
            "{}",
            state.as_str()
        );
        let deleted = observe(&r, &cancel(true)).unwrap();
        assert_eq!(deleted.is_some(), state.is_open() || state.has_attachment());
        if state.has_attachment() {
            assert_eq!(deleted.unwrap().detail["attachment_gone"], json!(true));
        }
        assert_eq!(
            observe(&r, &SystemEvent::Restore).unwrap().is_some(),
            state == State::Cancelled
        );
        let fail = observe(
            &r,
            &SystemEvent::Fail {
                reason: "source unreachable".into(),
            },
        );
        assert_eq!(fail.is_ok(), state == State::Extracting);
        let expire = SystemEvent::Expire {
            detail: json!({"sha256": "ab"}),
        };
        assert_eq!(observe(&r, &expire).is_ok(), state.has_attachment());
        let detail = json!({"file": "DATA-1-x.zip.age"});
        let delivered = observe(
            &r,
            &SystemEvent::Delivered {
                detail: detail.clone(),
            },
        );
        let from_extraction = matches!(state, State::Extracting | State::AwaitingDelivery);
        assert_eq!(delivered.is_ok(), from_extraction, "{}", state.as_str());
        let hold = SystemEvent::AwaitDelivery {
            reason: "no Slack user for Riley".into(),
            detail,
        };
        let held = observe(&r, &hold);
        assert_eq!(held.is_ok(), from_extraction, "{}", state.as_str());
        if state == State::Extracting {
            let held = held.unwrap().unwrap();
            assert_eq!(held.row.state, State::AwaitingDelivery);
            assert_eq!(held.detail["reason"], "no Slack user for Riley");
            // The same reason again changes nothing; another one is recorded.
            assert!(observe(&held.row, &hold).unwrap().is_none());
        }
    }
}
